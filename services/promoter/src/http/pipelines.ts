/**
 * /v1/pipelines: versioned pipelines and their runs. A pipeline spans namespaces (one per stage, maybe
 * more), so a token sees, runs and changes a pipeline only when its namespaces cover every stage's: a
 * scoped token learns nothing of pipelines that reach outside its namespaces (404), and cannot make one (403).
 */
import { actorOf } from '../domain/actor.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PipelineRepository, PipelineRunView, PipelineVersionView } from '../adapters/db/pipeline-repository.js';
import type { PolicyRepository } from '../adapters/db/policy-repository.js';
import type { BlockedImageRepository } from '../adapters/db/blocked-image-repository.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { AppError, errors, type FieldError } from '../errors.js';
import { parseImageReference, stripTagSuffix } from '../domain/image-reference.js';
import { checkPipelineDocument, resolveStages, type PipelineDocument } from '../domain/pipeline/model.js';
import { initialStages, type PromotionStanding, type StageRecord } from '../domain/pipeline/run-plan.js';
import { registerOperations } from './operations.js';
import { refuseBlockedRun } from './image-blocks.js';
import { resolveTargetCluster, type ClusterDirectory } from './target-cluster.js';
import { DEFAULT_CLUSTER_NAME } from '../adapters/kubernetes/clusters-config.js';

/** Reads the image a canary Deployment's container runs (the service's Kubernetes client). */
export type CanaryImageReader = (source: { namespace: string; deployment: string; container: string; cluster?: string }) => Promise<string>;

export interface PipelineRoutesDeps {
  readonly document: OpenApiDocument;
  readonly pipelines: PipelineRepository;
  readonly policies: PolicyRepository;
  /** Blocked images: a run of an image a block refuses for any stage is a 409 naming the block and the stage. */
  readonly blocks: BlockedImageRepository;
  readonly readCanaryImage?: CanaryImageReader | undefined;
  /** The configured clusters: a stage names one of them, or goes to the default. */
  readonly clusters?: ClusterDirectory | undefined;
  /** Wakes the runner (a new run or an abort is looked at at once, not at its next poll). */
  readonly wakeRunner?: () => void;
}

interface RunRequest {
  image?: string;
  source?: { cluster?: string; namespace: string; deployment: string; container?: string; tagSuffixToStrip?: string };
  reason?: string;
}

export async function pipelineRoutes(app: FastifyInstance, deps: PipelineRoutesDeps): Promise<void> {
  const { pipelines } = deps;
  const directory = deps.clusters ?? { names: [DEFAULT_CLUSTER_NAME], defaultCluster: DEFAULT_CLUSTER_NAME };
  /** The clusters a pipeline's stages promote into (a stage without one: the default). */
  const clustersOf = (document: PipelineDocument): string[] => [...new Set(document.stages.map((stage) => stage.target.cluster ?? directory.defaultCluster ?? DEFAULT_CLUSTER_NAME))];
  const covered = (request: FastifyRequest, pipeline: PipelineVersionView) => request.scope.covers(pipeline.namespaces) && request.scope.coversClusters(clustersOf(pipeline.document));
  /** A pipeline the token cannot cover (namespaces and clusters) does not exist for it. */
  const visible = async (request: FastifyRequest, name: string): Promise<PipelineVersionView> => {
    const pipeline = await pipelines.get(name);
    if (!covered(request, pipeline)) throw errors.pipelineNotFound(name);
    return pipeline;
  };

  registerOperations(app, deps.document, {
    listPipelines: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        request.scope.consult(); // consulted even when there is nothing to filter
        return { items: (await pipelines.list()).filter((p) => covered(request, p)) };
      },
    },
    getPipeline: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => visible(request, (request.params as { name: string }).name),
    },
    putPipeline: {
      access: { role: 'admin', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const document = request.body as PipelineDocument;
        const namespaces = [...new Set(document.stages.map((stage) => stage.target.namespace))];
        if (!request.scope.covers(namespaces) || !request.scope.coversClusters(clustersOf(document))) {
          throw errors.forbidden(`Token '${request.principal.name}' may not act in every namespace and cluster this pipeline promotes into (${namespaces.join(', ')}; clusters ${clustersOf(document).join(', ')}).`);
        }
        const problems = [...checkPipelineDocument(document), ...clusterProblems(document, directory), ...(await policyProblems(deps.policies, document, (owner) => request.scope.canSee(owner)))];
        if (problems.length > 0) throw errors.validation(problems);
        const result = await pipelines.put(name, document, actorOf(request.principal), (current) => {
          if (!request.scope.covers(current)) throw errors.forbidden(`Token '${request.principal.name}' may not change pipeline '${name}'.`);
        });
        request.log.info({ pipeline: name, version: result.pipeline.version, changed: result.changed }, 'pipeline stored');
        return reply.code(result.created ? 201 : 200).header('location', `/v1/pipelines/${name}`).send(result.pipeline);
      },
    },
    listPipelineRuns: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { name } = request.params as { name: string };
        const { limit } = request.query as { limit: number };
        await visible(request, name);
        return { items: await withPromotionStates(pipelines, await pipelines.listRuns(name, limit)) };
      },
    },
    getPipelineRun: {
      access: { role: 'viewer', namespaces: 'checked' },
      handler: async (request) => {
        const { name, runId } = request.params as { name: string; runId: string };
        await visible(request, name);
        const [run] = await withPromotionStates(pipelines, [await pipelines.getRun(name, runId)]);
        return { ...run, events: await pipelines.runEvents(runId) };
      },
    },
    createPipelineRun: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name } = request.params as { name: string };
        const body = request.body as RunRequest;
        const pipeline = await visible(request, name);
        const image = await runImage(body, pipeline, deps.readCanaryImage, directory);
        // The canary was read just now, so its image is known here too: every run is checked before it is stored.
        await refuseBlockedRun(deps.blocks, image, pipeline.document.stages);
        const { run, superseded } = await pipelines.createRun(pipeline, {
          image,
          reason: body.reason ?? null,
          actor: actorOf(request.principal),
          stages: initialStages(resolveStages(pipeline.document)),
        });
        request.log.info({ pipeline: name, run: run.id, image, state: run.state, superseded }, 'pipeline run created');
        deps.wakeRunner?.();
        return reply.code(201).header('location', `/v1/pipelines/${name}/runs/${run.id}`).send(run);
      },
    },
    abortPipelineRun: {
      access: { role: 'operator', namespaces: 'checked' },
      handler: async (request, reply) => {
        const { name, runId } = request.params as { name: string; runId: string };
        const { reason } = request.body as { reason: string };
        await visible(request, name);
        const run = await pipelines.requestAbort(name, runId, actorOf(request.principal), reason);
        request.log.info({ pipeline: name, run: runId }, 'pipeline run abort asked');
        deps.wakeRunner?.();
        return reply.code(202).send(run);
      },
    },
  });
}

/** Each stage's cluster must be configured; without one, there must be a default. */
function clusterProblems(document: PipelineDocument, clusters: ClusterDirectory): FieldError[] {
  return document.stages.flatMap((stage, index) => {
    try {
      resolveTargetCluster(stage.target.cluster, clusters, () => true);
      return [];
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return (error.errors ?? []).map((field) => ({ pointer: `/body/stages/${index}/target/cluster`, detail: field.detail }));
    }
  });
}

/** Each stage's policy must exist and may guard the stage's namespace, as for a promotion. */
async function policyProblems(policies: PolicyRepository, document: PipelineDocument, canSee: (owner: string) => boolean): Promise<FieldError[]> {
  const problems: FieldError[] = [];
  for (const [index, stage] of document.stages.entries()) {
    const pointer = `/body/stages/${index}/policy`;
    try {
      const owner = (await policies.get(stage.policy)).document.namespace;
      if (owner !== undefined && !canSee(owner)) problems.push({ pointer, detail: `no policy is named '${stage.policy}'` });
      else if (owner !== undefined && owner !== stage.target.namespace) problems.push({ pointer, detail: `the policy belongs to namespace '${owner}'; it cannot guard stage '${stage.name}' in '${stage.target.namespace}'` });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'policy-not-found') throw error;
      problems.push({ pointer, detail: `no policy is named '${stage.policy}'` });
    }
  }
  return problems;
}

/** The run's one image: given, or read from the canary once, so every stage promotes the same image. */
async function runImage(body: RunRequest, pipeline: PipelineVersionView, readCanaryImage: CanaryImageReader | undefined, clusters: ClusterDirectory): Promise<string> {
  if ((body.image === undefined) === (body.source === undefined)) {
    throw errors.validation([{ pointer: body.image === undefined ? '/body/source' : '/body/image', detail: 'give exactly one of image (the image to promote) and source (the canary Deployment to take it from)' }]);
  }
  if (body.image !== undefined) {
    const parsed = parseImageReference(body.image);
    if ('error' in parsed) throw errors.validation([{ pointer: '/body/image', detail: parsed.error }]);
    return body.image;
  }
  const source = body.source as NonNullable<RunRequest['source']>;
  const container = source.container ?? pipeline.document.stages[0]?.target.container ?? '';
  if (source.cluster !== undefined && !clusters.names.includes(source.cluster)) {
    throw errors.validation([{ pointer: '/body/source/cluster', detail: `no cluster is named '${source.cluster}'; configured: ${clusters.names.join(', ')}` }]);
  }
  if (!readCanaryImage) throw errors.dependencyUnavailable('kubernetes', 'No Kubernetes API is configured, so the canary cannot be read; give the image instead.');
  const image = await readCanaryImage({ namespace: source.namespace, deployment: source.deployment, container, ...(source.cluster ? { cluster: source.cluster } : {}) });
  if (!source.tagSuffixToStrip) return image;
  const stripped = stripTagSuffix(image, source.tagSuffixToStrip);
  if (typeof stripped !== 'string') throw errors.validation([{ pointer: '/body/source/tagSuffixToStrip', detail: stripped.error }]);
  return stripped;
}

/** The runs with each stage's promotion state, read now (the run's record keeps only the ids). */
async function withPromotionStates(pipelines: PipelineRepository, runs: readonly PipelineRunView[]): Promise<PipelineRunView[]> {
  const ids = runs.flatMap((run) => run.stages.flatMap((stage) => (stage.promotionId ? [stage.promotionId] : [])));
  const standings = await pipelines.promotionStandings(ids);
  return runs.map((run) => ({ ...run, stages: run.stages.map((stage) => withState(stage, standings)) }));
}

function withState(stage: StageRecord, standings: ReadonlyMap<string, PromotionStanding>): StageRecord & { promotionState?: string } {
  const standing = stage.promotionId ? standings.get(stage.promotionId) : undefined;
  return standing ? { ...stage, promotionState: standing.state } : stage;
}
