import type { Db } from '../core/db.ts';

export interface WorkflowRunView {
  id: string;
  function: string;
  event: string;
  status: string;
  attempts: number;
  error?: string;
  steps: { id: string; op: string; status: string; completedAt: string | null }[];
  createdAt: string;
  finishedAt: string | null;
}

/** Runs of the embedded runtime for one organization (with Inngest, its dashboard shows runs). */
export async function listWorkflowRuns(
  db: Db,
  orgId: string,
  filter: { contactId?: string; statuses?: string[]; limit?: number },
): Promise<WorkflowRunView[]> {
  const runs = await db.query<{
    id: string;
    function_id: string;
    event_name: string;
    status: string;
    attempt: number;
    error: string | null;
    created_at: Date;
    finished_at: Date | null;
  }>(
    `select id, function_id, event_name, status, attempt, error, created_at, finished_at from workflow_runs
     where org_id = $1 and ($2::uuid is null or contact_id = $2) and ($4::text[] is null or status = any($4))
     order by seq limit $3`,
    [orgId, filter.contactId ?? null, filter.limit ?? 200, filter.statuses ?? null],
  );
  if (runs.length === 0) return [];
  const steps = await db.query<{
    run_id: string;
    step_id: string;
    op: string;
    status: string;
    completed_at: Date | null;
  }>(
    `select run_id, step_id, op, status, completed_at from workflow_steps
     where org_id = $1 and run_id = any($2::uuid[]) order by created_at`,
    [orgId, runs.map((run) => run.id)],
  );
  return runs.map((run) => ({
    id: run.id,
    function: run.function_id,
    event: run.event_name,
    status: run.status,
    // The attempt now running or last run counts too.
    attempts: run.attempt + (run.status === 'queued' && run.attempt === 0 ? 0 : 1),
    ...(run.error ? { error: run.error } : {}),
    steps: steps
      .filter((step) => step.run_id === run.id)
      .map((step) => ({
        id: step.step_id,
        op: step.op,
        status: step.status,
        completedAt: step.completed_at?.toISOString() ?? null,
      })),
    createdAt: run.created_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
  }));
}
