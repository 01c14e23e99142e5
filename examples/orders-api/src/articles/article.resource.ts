import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { defineResource, type LoadedState, type StateLoader } from 'nestjs-transition-guard';
import { articleMachine, type ArticleContext } from '../../../../machines/article.machine.js';
import { Article } from './article.entity.js';

@Injectable()
export class ArticleStateLoader implements StateLoader<ArticleContext> {
  constructor(@InjectRepository(Article) private readonly articles: Repository<Article>) {}

  async load(id: string): Promise<LoadedState<ArticleContext> | null> {
    const row = await this.articles.findOneBy({ id: Number(id) });
    return (
      row && {
        state: row.status,
        context: { wordCount: row.wordCount, legalHold: row.legalHold },
        version: row.version,
      }
    );
  }
}

/** The article resource: the JSON-defined workflow with roles on its transitions. */
export const article = defineResource({
  resource: 'article',
  machine: articleMachine,
  loader: ArticleStateLoader,
});
