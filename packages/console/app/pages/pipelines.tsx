/**
 * Pipelines: the list (each with its stages in order and its latest run's state) and one pipeline's page:
 * its stages as a row of cards (target, delivery, soak, approval) and a run moving through them — each
 * stage's state, a soak's countdown, the running stage's promotion, a failed stage's reason (it carries the
 * failing check's sentence), skipped stages and why — with the run's events. Live: the feed of promotion
 * events (`GET /v1/events`) re-reads the run when one of its stages' promotions moves, and the run is also
 * re-read every two seconds while it is queued or running (a soak's start and end are no promotion events).
 */
import { useEffect, useRef } from 'preact/hooks';
import { ENDED_RUN_STATES, type PipelineRun, type PipelineStage, type PipelineStageRun, type PipelineVersion } from '@promoter/sdk';
import { ActionButton } from '../components/action-dialog.js';
import { StateBadge } from '../components/state-badge.js';
import { followFeed } from '../lib/event-feed.js';
import { duration, time } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { eventConcernsRun, runTone, runUnderWay, soakRemainingMs, stagesLine, stageTone, type RunState, type StageState } from '../lib/pipelines.js';
import { may, type Session } from '../lib/session.js';
import { useTicking } from '../lib/ticking.js';
import { Actor } from '../components/actor.js';
import { ErrorLine } from '../components/error-line.js';

const RECENT_RUNS = 20;
const RUN_POLL_MS = 2_000;

export function PipelinesList(props: { session: Session }) {
  const { client } = props.session;
  const live = useLive(
    async (signal) => {
      const versions = await client.pipelines.list({ signal });
      const latest = await Promise.all(versions.map(async (version) => (await client.pipelines.runs(version.name, { limit: 1 }, { signal }))[0]));
      return versions.map((version, index) => ({ version, latest: latest[index] }));
    },
    [],
    10_000,
  );
  const items = live.data;
  return (
    <section aria-labelledby="pipelines-title">
      <h1 id="pipelines-title">Pipelines</h1>
      <p class="muted">One image through environments in order (promoter pipeline run NAME --image IMAGE).</p>
      <ErrorLine message={live.error} />
      {items === undefined ? (
        <p class="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p class="muted">No pipeline yet (PUT /v1/pipelines/NAME, or promoter pipeline apply).</p>
      ) : (
        <div class="table-scroll">
          <table class="pipelines">
            <thead>
              <tr>
                <th scope="col">Pipeline</th>
                <th scope="col">Version</th>
                <th scope="col">Stages</th>
                <th scope="col">Latest run</th>
              </tr>
            </thead>
            <tbody>
              {items.map(({ version, latest }) => (
                <tr key={version.name} data-pipeline={version.name}>
                  <td>
                    <a href={`/ui/pipelines/${version.name}`}>{version.name}</a>
                  </td>
                  <td>v{version.version}</td>
                  <td>{stagesLine(version)}</td>
                  <td>
                    {latest ? (
                      <a href={`/ui/pipelines/${version.name}/runs/${latest.id}`} class="run-link">
                        <RunBadge state={latest.state} /> <span class="images">{latest.image}</span>
                      </a>
                    ) : (
                      <span class="muted">never run</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** `runId`: the run to show (a deep link); absent, the newest. */
export function PipelinePage(props: { session: Session; name: string; runId?: string }) {
  const { client, principal } = props.session;
  const version = useLive((signal) => client.pipelines.get(props.name, { signal }), [props.name], 30_000);
  const runs = useLive((signal) => client.pipelines.runs(props.name, { limit: RECENT_RUNS }, { signal }), [props.name], 5_000);
  const pipeline = version.data;
  const runId = props.runId ?? runs.data?.[0]?.id;
  const error = version.error ?? runs.error;

  if (!pipeline) {
    return error ? (
      <p class="error" role="alert">
        {error}
      </p>
    ) : (
      <p class="muted">Loading…</p>
    );
  }
  const canAbort = pipeline.namespaces.every((namespace) => may(principal, 'operator', namespace));
  return (
    <article aria-labelledby="pipeline-title" data-pipeline={pipeline.name}>
      <h1 id="pipeline-title">
        {pipeline.name} <span class="tag">v{pipeline.version}</span>
      </h1>
      {pipeline.document.description && <p class="muted">{pipeline.document.description}</p>}
      <ErrorLine message={error} />
      {runId ? (
        <RunView key={runId} session={props.session} pipeline={pipeline} runId={runId} canAbort={canAbort} onChange={runs.refresh} />
      ) : runs.data ? (
        <>
          <p class="muted">No run yet.</p>
          <Stages pipeline={pipeline} />
        </>
      ) : (
        <p class="muted">Loading…</p>
      )}
      {runs.data && runs.data.length > 0 && (
        <>
          <h2>Recent runs</h2>
          <ol class="runs">
            {runs.data.map((run) => (
              <li key={run.id} data-run={run.id} aria-current={run.id === runId ? 'true' : undefined}>
                <a href={`/ui/pipelines/${pipeline.name}/runs/${run.id}`}>
                  <time dateTime={run.createdAt}>{time(run.createdAt)}</time> <span class="images">{run.image}</span>
                </a>{' '}
                <RunBadge state={run.state} /> <span class="muted">by <Actor name={run.createdBy} identity={run.createdByIdentity} /></span>
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}

function RunView(props: { session: Session; pipeline: PipelineVersion; runId: string; canAbort: boolean; onChange: () => void }) {
  const { client } = props.session;
  const { pipeline, runId } = props;
  const live = useLive((signal) => client.pipelines.getRun(pipeline.name, runId, { signal }), [pipeline.name, runId], RUN_POLL_MS, (run) => ENDED_RUN_STATES.includes(run.state));
  const run = live.data;
  const underWay = run !== undefined && runUnderWay(run);
  const soaking = run?.stages.some((stage) => stage.state === 'soaking') ?? false;
  useTicking(soaking ? 1_000 : null);

  // The run as last read, for the feed's handler (which outlives renders).
  const latest = useRef<PipelineRun | undefined>(undefined);
  latest.current = run;
  useEffect(() => {
    if (!underWay) {
      // It has ended (or is not read yet): the list of recent runs shows its new state.
      if (latest.current) props.onChange();
      return;
    }
    const controller = new AbortController();
    followFeed(
      client,
      {},
      {
        onReady: () => live.refresh(),
        onEvent: (event) => {
          if (latest.current && eventConcernsRun(event, latest.current, pipeline)) live.refresh();
        },
      },
      controller.signal,
    ).catch(() => {
      // The stream failed for good: the two-second re-read carries on.
    });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one stream per run while it is under way
  }, [runId, underWay]);

  if (!run) {
    return live.error ? (
      <p class="error" role="alert">
        {live.error}
      </p>
    ) : (
      <p class="muted">Loading…</p>
    );
  }
  const abort = async (reason: string) => {
    await client.pipelines.abortRun(pipeline.name, run.id, reason);
    live.refresh();
  };
  return (
    <section class="run" aria-label="Run" data-run={run.id} data-state={run.state}>
      <div class="run-summary">
        <h2>
          Run <RunBadge state={run.state} />
          {run.abortRequested && underWay && <span class="tag">abort asked</span>}
        </h2>
        {run.stateReason && (
          <p class={`reason state-reason tone-${run.state === 'failed' ? 'bad' : run.state === 'succeeded' ? 'good' : 'plain'}`} data-run-reason>
            {run.stateReason}
          </p>
        )}
        <dl class="facts">
          <dt>Image</dt>
          <dd class="images">{run.image}</dd>
          <dt>Started by</dt>
          <dd>
            <Actor name={run.createdBy} identity={run.createdByIdentity} /> <span data-volatile>at {time(run.createdAt)}</span>
            {run.reason ? ` — ${run.reason}` : ''}
          </dd>
          <dt>Pipeline</dt>
          <dd>v{run.pipelineVersion}</dd>
        </dl>
        <ErrorLine message={live.error} />
        {props.canAbort && underWay && !run.abortRequested && (
          <div class="actions" role="group" aria-label="Actions">
            <ActionButton action="abort" label="Abort run" subject="this run" consequence="The running stage's promotion is aborted; no further stage starts." onConfirm={abort} />
          </div>
        )}
        <Stages pipeline={pipeline} run={run} />
      </div>
      <h2>Events</h2>
      <ol class="timeline">
        {(run.events ?? []).map((event) => (
          <li key={event.id} data-event={event.id}>
            <time dateTime={event.at}>{time(event.at)}</time> <span class="actor">{event.actor}</span> {event.stage && <strong>{event.stage}</strong>} {event.message}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The stages in order, one card each; with a run, each card also says where the run is in it. */
function Stages(props: { pipeline: PipelineVersion; run?: PipelineRun }) {
  return (
    <ol class="stages" aria-label="Stages">
      {props.pipeline.document.stages.map((stage, index) => (
        <StageCard key={stage.name} stage={stage} index={index} run={props.run} progress={props.run?.stages.find((s) => s.name === stage.name)} />
      ))}
    </ol>
  );
}

function StageCard(props: { stage: PipelineStage; index: number; run?: PipelineRun; progress?: PipelineStageRun }) {
  const { stage, progress } = props;
  const delivery = stage.delivery?.via === 'git' ? `git: ${stage.delivery.repository} ${stage.delivery.file}` : 'patch';
  return (
    <li class="stage" data-stage={stage.name} data-state={progress?.state}>
      <h3>
        <span class="muted">{props.index + 1}.</span> {stage.name} {progress && <StageBadge state={progress.state} />}
      </h3>
      <dl class="facts">
        <dt>Target</dt>
        <dd>
          {stage.target.namespace}/{stage.target.deployment} <span class="muted">({stage.target.container})</span>
        </dd>
        <dt>Delivery</dt>
        <dd>{delivery}</dd>
        <dt>Policy</dt>
        <dd>
          <a href={`/ui/policies/${stage.policy}`}>{stage.policy}</a>
        </dd>
        <dt>Soak</dt>
        <dd>{stage.soak ?? 'none'}</dd>
        <dt>Approval</dt>
        <dd>{stage.approval === 'required' ? 'required' : 'none'}</dd>
        {props.run && progress && <StageProgress run={props.run} progress={progress} soak={stage.soak} />}
      </dl>
    </li>
  );
}

/** Where the run is in one stage: the image, the soak's countdown, the promotion, the reason. */
function StageProgress(props: { run: PipelineRun; progress: PipelineStageRun; soak: string | undefined }) {
  const { progress } = props;
  const remaining = soakRemainingMs(progress, Date.now());
  return (
    <>
      {progress.state !== 'skipped' && (
        <>
          <dt>Image</dt>
          <dd class="images">{props.run.image}</dd>
        </>
      )}
      {remaining !== undefined && (
        <>
          <dt>Soak</dt>
          <dd data-soak data-volatile>
            {duration(remaining)} remaining of {props.soak}
          </dd>
        </>
      )}
      {progress.promotionId && (
        <>
          <dt>Promotion</dt>
          <dd>
            <a href={`/ui/promotions/${progress.promotionId}`} data-promotion-link>
              {progress.promotionState ? <StateBadge state={progress.promotionState} /> : 'promotion'}
            </a>
          </dd>
        </>
      )}
      {(progress.startedAt || progress.endedAt) && (
        <>
          <dt>When</dt>
          <dd data-volatile>
            {progress.startedAt && <time dateTime={progress.startedAt}>{time(progress.startedAt)}</time>}
            {progress.endedAt && (
              <>
                {' '}
                – <time dateTime={progress.endedAt}>{time(progress.endedAt)}</time>
              </>
            )}
          </dd>
        </>
      )}
      {progress.reason && (
        <>
          <dt>Reason</dt>
          <dd class={`reason tone-${progress.state === 'failed' ? 'bad' : 'plain'}`} data-stage-reason>
            {progress.reason}
          </dd>
        </>
      )}
    </>
  );
}

function RunBadge(props: { state: RunState }) {
  return (
    <span class={`badge tone-${runTone(props.state)}`} data-run-state={props.state}>
      {props.state}
    </span>
  );
}

function StageBadge(props: { state: StageState }) {
  return (
    <span class={`badge tone-${stageTone(props.state)}`} data-stage-state={props.state}>
      {props.state}
    </span>
  );
}

