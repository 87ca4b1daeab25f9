/** A page's or panel's last error, announced to screen readers; nothing when there is none. */
export function ErrorLine(props: { message: string | undefined | null }) {
  return props.message ? (
    <p class="error" role="alert">
      {props.message}
    </p>
  ) : null;
}
