import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransitionGuardModule } from 'nestjs-transition-guard';
import { Article } from './article.entity.js';
import { article } from './article.resource.js';
import { ArticlesController } from './articles.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([Article]), TransitionGuardModule.forFeature([article])],
  controllers: [ArticlesController],
})
export class ArticlesModule {}
