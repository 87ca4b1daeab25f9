/**
 * Approve / Abort / Roll back / Override freeze: asks for a reason, then for a confirmation, then calls the API. The API
 * decides; its refusal (403, 409) is shown as it says it.
 */
import { useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/errors.js';
import { ErrorLine } from './error-line.js';

export type Action = 'approve' | 'abort' | 'rollback' | 'override';
const LABEL: Record<Action, string> = { approve: 'Approve', abort: 'Abort', rollback: 'Roll back', override: 'Override freeze' };

/**
 * `subject`: what is acted on (default "this promotion"); `label`: the button's words (default the action's);
 * `consequence`: the warning with the confirmation (default: it acts on the Deployment).
 */
export function ActionButton(props: { action: Action; onConfirm: (reason: string) => Promise<unknown>; subject?: string; label?: string; consequence?: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [stage, setStage] = useState<'reason' | 'confirm'>('reason');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const label = LABEL[props.action];
  const subject = props.subject ?? 'this promotion';

  const open = () => {
    setStage('reason');
    setError(null);
    dialog.current?.showModal();
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    if (stage === 'reason') {
      setStage('confirm');
      return;
    }
    setBusy(true);
    try {
      await props.onConfirm(reason);
      dialog.current?.close();
      setReason('');
    } catch (caught) {
      setError(describeError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" class={`action action-${props.action}`} data-action={props.action} onClick={open}>
        {props.label ?? label}
      </button>
      <dialog ref={dialog} class="dialog" aria-label={`${label} ${subject}`}>
        <form onSubmit={submit}>
          <h2>
            {label} {subject}
          </h2>
          {stage === 'reason' ? (
            <label>
              Reason (kept in the audit trail)
              <textarea name="reason" required maxLength={1000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} autofocus />
            </label>
          ) : (
            <p>
              {label} with the reason “{reason}”? <strong>{props.consequence ?? 'This acts on the Deployment.'}</strong>
            </p>
          )}
          <ErrorLine message={error} />
          <div class="buttons">
            <button type="button" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" class="primary" disabled={busy} data-confirm={stage === 'confirm' ? 'yes' : undefined}>
              {stage === 'reason' ? 'Continue' : `Yes, ${label.toLowerCase()}`}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
