import { Controller, Get, Header, Inject, Injectable, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ResourceNotFoundException, type OpenApiDocument } from 'nestjs-transition-guard';
import { asset } from './assets.js';

/** The OpenAPI document, built once the app is created (see create-app.ts). */
@Injectable()
export class OpenApiHolder {
  document: OpenApiDocument | undefined;
}

type Reply = { header(name: string, value: string): unknown };

/** `/openapi.json`, the API reference at `/docs` (Swagger UI), and the console at `/`. */
@ApiExcludeController()
@Controller()
export class DocsController {
  constructor(@Inject(OpenApiHolder) private readonly holder: OpenApiHolder) {}

  @Get('openapi.json')
  openapi() {
    return this.holder.document;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  docs() {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orders-api: API reference</title>
<link rel="stylesheet" href="/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script></body></html>`;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  console() {
    return asset('console.html')?.body;
  }

  @Get('assets/:name')
  file(@Param('name') name: string, @Res({ passthrough: true }) res: Reply) {
    const found = asset(name);
    if (!found) throw new ResourceNotFoundException('asset', name.slice(0, 60));
    res.header('Content-Type', found.type);
    res.header('Cache-Control', 'max-age=3600');
    return found.body;
  }
}
