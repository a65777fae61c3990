// NestJS 12 (platform-express) under supervise, in TypeScript through tsx (app.ini:
// node-args = --import tsx). The module builds the Nest application, init()s it without
// listen(), and exports its Express instance: the workers own the sockets.
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';

@Controller()
class AppController {
  @Get()
  hello(): { framework: string; worker: number } {
    return { framework: 'nestjs', worker: Number(process.env['TSGI_WORKER_ID']) };
  }

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: unknown): { received: unknown } {
    return { received: body };
  }

  // Nest's exception filter answers 500; the worker carries on.
  @Get('error')
  fail(): never {
    throw new Error('route failed');
  }

  // A throw Nest cannot catch (in a callback): supervise answers 500, counts it in
  // `exceptions` and replaces the worker, its successor first.
  @Get('crash')
  crash(): Promise<never> {
    return new Promise(() => {
      setTimeout(() => {
        throw new Error('thrown outside Nest');
      });
    });
  }
}

@Module({ controllers: [AppController] })
class AppModule {}

const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] });
await app.init();
export default app.getHttpAdapter().getInstance();
