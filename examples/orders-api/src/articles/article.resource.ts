import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { defineResource } from 'nestjs-transition-guard';
import { TypeOrmTransitionStore } from 'nestjs-transition-guard/typeorm';
import {
  articleMachine,
  type ArticleContext,
} from '../../../../machines/article.implementations.js';
import { Article } from './article.entity.js';

/** Articles in TypeORM: loaded and committed (compare-and-set, logged) through this store. */
@Injectable()
export class ArticleStore extends TypeOrmTransitionStore<Article, ArticleContext> {
  constructor(@Inject(DataSource) dataSource: DataSource) {
    super(dataSource, {
      entity: Article,
      name: 'article',
      stateProperty: 'status',
      versionProperty: 'version',
      log: true,
      context: (a) => ({ wordCount: a.wordCount, legalHold: a.legalHold }),
    });
  }
}

/** The article resource: the JSON-defined workflow with roles on its transitions. */
export const article = defineResource({
  resource: 'article',
  machine: articleMachine,
  store: ArticleStore,
});
