import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import {
  CurrentTransition,
  Transition,
  TransitionRegistry,
  TransitionService,
} from 'nestjs-transition-guard';
import type { ArticleContext } from '../../../../machines/article.implementations.js';
import { Article } from './article.entity.js';
import { article } from './article.resource.js';

const view = (a: Article) => ({
  id: a.id,
  title: a.title,
  state: a.status,
  version: a.version,
  wordCount: a.wordCount,
  lastComment: a.lastComment,
});

/**
 * The article workflow. Roles come from the `X-User-Role` header: a stand-in for real auth in
 * this demo only (see main.ts); a real app sets request.user from its auth guard.
 */
@Controller('articles')
export class ArticlesController {
  constructor(
    @InjectRepository(Article) private readonly articles: Repository<Article>,
    private readonly registry: TransitionRegistry,
    private readonly transitions: TransitionService,
  ) {}

  @Post()
  async create(@Body() body: unknown) {
    const b = (body ?? {}) as { title?: unknown; text?: unknown };
    if (
      typeof b.title !== 'string' ||
      b.title.length < 1 ||
      b.title.length > 200 ||
      (b.text !== undefined && typeof b.text !== 'string')
    ) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_BODY',
        message: 'title (1 to 200 characters) is required; text is a string',
      });
    }
    const wordCount = typeof b.text === 'string' ? b.text.split(/\s+/).filter(Boolean).length : 0;
    return view(
      await this.articles.save(
        this.articles.create({ title: b.title, wordCount, status: 'draft', version: 0 }),
      ),
    );
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    const row = /^[0-9]{1,15}$/.test(id) ? await this.articles.findOneBy({ id: Number(id) }) : null;
    if (!row)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'RESOURCE_NOT_FOUND',
        message: `article ${id.slice(0, 40)} does not exist`,
        resource: 'article',
      });
    const validator = this.registry.resource('article').validator;
    return {
      ...view(row),
      transitions: validator.explain({
        state: row.status,
        context: { wordCount: row.wordCount, legalHold: row.legalHold },
      }),
    };
  }

  /** `{ "type": "SUBMIT" }`, `{ "type": "REQUEST_CHANGES", "comment": "..." }`, ... */
  @Post(':id/events')
  @HttpCode(200)
  @Transition(article)
  async send(@CurrentTransition() t: CurrentTransition<ArticleContext>) {
    const changes = t.event === 'REQUEST_CHANGES' ? { lastComment: String(t.payload.comment) } : {};
    const committed = await this.transitions.commit(t, changes);
    return {
      ...view(await this.articles.findOneByOrFail({ id: Number(t.id) })),
      transition: committed,
    };
  }
}
