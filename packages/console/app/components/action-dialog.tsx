/**
 * Approve / Abort / Roll back: asks for a reason, then for a confirmation, then calls the API. The API
 * decides; its refusal (403, 409) is shown as it says it.
 */
import { useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/errors.js';

export type Action = 'approve' | 'abort' | 'rollback';
const LABEL: Record<Action, string> = { approve: 'Approve', abort: 'Abort', rollback: 'Roll back' };

export function ActionButton(props: { action: Action; onConfirm: (reason: string) => Promise<unknown> }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [stage, setStage] = useState<'reason' | 'confirm'>('reason');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const label = LABEL[props.action];

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
        {label}
      </button>
      <dialog ref={dialog} class="dialog" aria-label={`${label} this promotion`}>
        <form onSubmit={submit}>
          <h2>{label} this promotion</h2>
          {stage === 'reason' ? (
            <label>
              Reason (kept in the audit trail)
              <textarea name="reason" required maxLength={1000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} autofocus />
            </label>
          ) : (
            <p>
              {label} with the reason “{reason}”? <strong>This acts on the Deployment.</strong>
            </p>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
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
