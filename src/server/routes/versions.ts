import type { MultipartFile } from '@fastify/multipart';
import { z } from 'zod';
import { ModelName } from '../../contracts/common.js';
import { ListVersionsQuery, ModelVersion, RegisteredVersion, UpdateVersionRequest, VersionPage } from '../../contracts/versions.js';
import type { App } from '../../app.js';
import { AppError } from '../../shared/app-error.js';
import { route } from '../route-spec.js';
import { NameParams } from './models.js';

const VersionRef = z
  .string()
  .regex(/^(\d{1,9}|latest|[a-z][a-z0-9._-]{0,63})$/, 'must be a version number, an alias, or latest');
const RefParams = z.object({ name: ModelName, ref: VersionRef });
const NumberParams = z.object({ name: ModelName, ref: z.coerce.number().int().positive() });

export function versionRoutes(app: App) {
  const { versions } = app.registry;
  return [
    route({
      method: 'POST',
      url: '/api/v1/models/:name/versions',
      summary: 'Register a version: multipart with a `metadata` JSON part, then the `file` part (streamed)',
      tag: 'versions',
      role: 'viewer',
      params: NameParams,
      multipart: true,
      response: RegisteredVersion,
      status: 201,
      handler: async ({ params, req, actor }) => {
        if (!req.isMultipart()) {
          throw new AppError('unsupported_media_type', 'register a version with multipart/form-data: a "metadata" JSON part, then a "file" part');
        }
        let metadata: unknown;
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            if (part.fieldname !== 'metadata') continue;
            try {
              // A part sent as application/json arrives already parsed; a plain field arrives as text.
              metadata = typeof part.value === 'string' ? JSON.parse(part.value) : part.value;
            } catch (err) {
              throw new AppError('invalid_argument', `metadata: malformed JSON (${(err as Error).message})`, { field: 'metadata' });
            }
            continue;
          }
          const file = part as MultipartFile;
          if (file.fieldname !== 'file') {
            file.file.resume();
            continue;
          }
          if (metadata === undefined) {
            file.file.resume();
            throw new AppError('invalid_argument', 'the "metadata" part must come before the "file" part', { field: 'metadata' });
          }
          return versions.register(params.name, file.file, metadata, actor);
        }
        throw new AppError('invalid_argument', 'the upload has no "file" part', { field: 'file' });
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions',
      summary: 'List versions, newest first',
      tag: 'versions',
      role: 'viewer',
      params: NameParams,
      query: ListVersionsQuery,
      response: VersionPage,
      handler: ({ params, query }) => versions.list(params.name, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:ref',
      summary: 'Get a version by number, alias, or latest',
      tag: 'versions',
      role: 'viewer',
      params: RefParams,
      response: ModelVersion,
      handler: ({ params }) => versions.get(params.name, params.ref),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/models/:name/versions/:ref',
      summary: 'Update a version’s description, tags or status (all else is immutable)',
      tag: 'versions',
      role: 'viewer',
      params: NumberParams,
      body: UpdateVersionRequest,
      response: ModelVersion,
      handler: ({ params, body, actor }) => versions.update(params.name, params.ref, body, actor),
    }),
    route({
      method: 'GET',
      url: '/api/v1/models/:name/versions/:ref/artifact',
      summary: 'Download the artifact; the digest is checked while streaming',
      tag: 'versions',
      role: 'viewer',
      params: RefParams,
      binaryResponse: true,
      handler: async ({ params, reply }) => {
        const a = await versions.artifact(params.name, params.ref);
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', a.size)
          .header('content-disposition', `attachment; filename="${a.filename}"`)
          .header('x-sextant-digest', a.digest)
          .header('repr-digest', `sha-256=:${Buffer.from(a.digest, 'hex').toString('base64')}:`)
          .send(a.stream);
      },
    }),
  ];
}
