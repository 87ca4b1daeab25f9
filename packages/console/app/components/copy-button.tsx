/** Copies a text (a PromQL query) to the clipboard and says so. */
import { useState } from 'preact/hooks';

export function CopyButton(props: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(props.text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" class="copy" aria-label={props.label} onClick={() => void copy().catch(() => setCopied(false))}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
