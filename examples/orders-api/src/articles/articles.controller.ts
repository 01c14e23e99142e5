import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { z } from 'zod';
import {
  CurrentTransition,
  ResourceIdPipe,
  ResourceNotFoundException,
  Transition,
  TransitionService,
} from 'nestjs-transition-guard';
import { text } from '../../../../machines/order.machine.js';
import { Article } from './article.entity.js';
import { article } from './article.resource.js';

const newArticle = z.strictObject({ title: text(1, 200), text: z.string().max(60_000).optional() });

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
    @Inject(TransitionService) private readonly transitions: TransitionService,
  ) {}

  @Post()
  async create(@Body() body: unknown) {
    const parsed = newArticle.safeParse(body ?? {});
    if (!parsed.success) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_BODY',
        message: 'title (1 to 200 characters, no NUL) is required; text is a string',
      });
    }
    const { title, text: words = '' } = parsed.data;
    const wordCount = words.split(/\s+/).filter(Boolean).length;
    return view(
      await this.articles.save(
        this.articles.create({ title, wordCount, status: 'draft', version: 0 }),
      ),
    );
  }

  /** The 50 most recent articles. */
  @Get()
  async list() {
    return (await this.articles.find({ order: { id: 'DESC' }, take: 50 })).map(view);
  }

  /** The article and the events this caller may send now (`Vary` on the role header). */
  @Get(':id')
  @Header('Vary', 'X-User-Role, X-User-Id')
  async get(
    @Param('id', ResourceIdPipe('article')) id: string,
    @Headers() headers: Record<string, string | undefined>,
  ) {
    const row = await this.articles.findOneBy({ id: Number(id) });
    if (!row) throw new ResourceNotFoundException('article', id);
    const inspection = await this.transitions.inspect('article', id, { request: { headers } });
    return { ...view(row), allowedEvents: inspection?.transitions ?? [] };
  }

  /** `{ "type": "SUBMIT" }`, `{ "type": "REQUEST_CHANGES", "comment": "..." }`, ... */
  @Post(':id/events')
  @HttpCode(200)
  @Transition(article)
  async send(@CurrentTransition() t: CurrentTransition<typeof article>) {
    const changes = t.event === 'REQUEST_CHANGES' ? { lastComment: String(t.payload.comment) } : {};
    const { row, ...transition } = await this.transitions.commit(t, changes, { returning: true });
    return { ...view(row), transition };
  }
}
