/**
 * Response serializers compiled on a route's first answer instead of at start-up. Fastify compiles a
 * fast-json-stringify function for every response schema of every route when the server gets ready: about
 * half a second of CPU for this contract, paid by every process and by every test that builds the app,
 * mostly for routes it never answers. Each serializer is built by Fastify's own default compiler (the same
 * shared schemas and options), only later: the first answer of a route and status pays a few milliseconds.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;

const eager = SerializerSelector();

export const lazySerializers: SerializerFactory = (externalSchemas, options) => {
  const compile = eager(externalSchemas, options);
  return (route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => (serialize ??= compile(route))(data);
  };
};
