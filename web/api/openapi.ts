import { z } from 'zod';
import { commandBody, holdBody, liftBody } from './api-schemas.ts';

const error = { description: 'what went wrong', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const json = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const id = (name: string, what: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description: what });
const refusals = { 401: error, 404: error };

/** The API as OpenAPI 3.1 describes it, served at /api/v1/openapi.json; the command body's schema is the one the route validates with. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'patchlab API',
      version: '1',
      description: 'Rollouts, lab runs, schedules and hosts, and the release manager commands. Authenticate with a token from `patchlab users token NAME`: `Authorization: Bearer <token>`. Commands need the release-manager role (override-age, which cuts a minimum-age wait short, the admin role) and go into the audit log under the token\'s user.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Command: z.toJSONSchema(commandBody, { target: 'draft-2020-12' }),
      },
    },
    paths: {
      '/rollouts': { get: { summary: 'Rollouts, newest first; each with its status: its phase, or waiting-for-age with waitingUntil (ISO time) while its updates are younger than the minimum age; and the policy that applies (policy, null for a rollout from before policy choices), where it came from (policyLabel), and policyChoice', responses: { 200: json('{ rollouts: [...] }'), 401: error } } },
      '/rollouts/{id}': {
        get: { summary: 'One rollout: phase, rings, hosts, the commands it accepts now, its audit log, what its patch fixes (advisories per source package, from the package changelogs; null when unknown), and waitingForWorkers: per Docker engine whose hosts\' steps are queued with no live worker on it, the engine, since when (ISO time) and the hosts (empty when none waits)', parameters: [id('id', 'rollout id')], responses: { 200: json('the rollout'), ...refusals } },
      },
      '/rollouts/{id}/commands': {
        post: {
          summary: 'Pause, resume, roll back, promote or approve (idempotent)',
          parameters: [id('id', 'rollout id')],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Command' } } } },
          responses: { 200: json('the rollout after the command'), 400: error, 401: error, 403: error, 404: error, 409: error, 415: error },
        },
      },
      '/lab-runs': {
        get: {
          summary: 'Lab runs, newest first',
          parameters: [
            { name: 'image', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: { 200: json('{ labRuns: [...] }'), 400: error, 401: error },
        },
      },
      '/lab-runs/{id}': { get: { summary: "A lab run's report", parameters: [id('id', 'run id')], responses: { 200: json('the report'), ...refusals } } },
      '/bisects': {
        get: { summary: 'Bisections, newest first (at most 200)', parameters: [{ name: 'runId', in: 'query', schema: { type: 'string' }, description: 'only those of this failed lab run' }], responses: { 200: json('{ bisects: [...] }'), 401: error } },
      },
      '/bisects/{id}': {
        get: { summary: 'A bisection as it stands: each lab run with its subset and verdict; when finished, the culprits, the checks they break, the proposed hold and the run proving the rest', parameters: [id('id', 'bisect id')], responses: { 200: json('the bisection'), ...refusals } },
      },
      '/schedules': { get: { summary: 'Schedules of regression runs', responses: { 200: json('{ schedules: [...] }'), 401: error } } },
      '/schedules/{name}/runs': { get: { summary: "A schedule's runs, oldest first", parameters: [id('name', 'schedule name')], responses: { 200: json('{ runs: [...] }'), ...refusals } } },
      '/holds': {
        get: { summary: 'Packages held back from every patch, and the record of holds and lifts', responses: { 200: json('{ holds: [...], log: [...] }'), 401: error } },
        post: {
          summary: 'Hold a package (name or glob); release-manager role',
          requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(holdBody, { target: 'draft-2020-12' }) } } },
          responses: { 201: json('{ holds: [...] }'), 400: error, 401: error, 403: error },
        },
      },
      '/holds/{package}/lift': {
        post: {
          summary: 'Lift a hold; release-manager role',
          parameters: [id('package', 'the name or glob as it was held')],
          requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(liftBody, { target: 'draft-2020-12' }) } } },
          responses: { 200: json('{ holds: [...] }'), ...refusals, 400: error, 403: error },
        },
      },
      '/patches': {
        get: { summary: "Each image's candidate patches as last discovered, with the advisories read from their changelogs (CVE ids and tracker links, urgency, DSA/DLA, bugs, severity and its basis)", responses: { 200: json('{ images: [...] }'), 401: error } },
      },
      '/hosts': { get: { summary: 'The latest inventory scan of each host', responses: { 200: json('{ hosts: [...] }'), 401: error } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: json('OpenAPI 3.1') } } },
    },
  };
}
