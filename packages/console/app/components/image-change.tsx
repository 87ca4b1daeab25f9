/** What a promotion changes an image from and to, with long references wrapping only between their parts. */
import { Fragment } from 'preact';
import type { Promotion } from '@promoter/sdk';
import { imageChange, imagePieces, type ImageSide } from '../lib/images.js';

export function ImageChange(props: { promotion: Pick<Promotion, 'previousImage' | 'resolvedImage' | 'image' | 'source' | 'state'> }) {
  const sides = imageChange(props.promotion);
  return (
    <>
      {sides.map((side, i) => (
        <Fragment key={i}>
          {i > 0 && ' → '}
          <Side side={side} />
        </Fragment>
      ))}
    </>
  );
}

function Side(props: { side: ImageSide }) {
  if (!props.side.known) return <em class="unresolved">{props.side.text}</em>;
  return (
    <span class="image-name" data-image={props.side.text}>
      {imagePieces(props.side.text).map((piece, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          <span>{piece}</span>
        </Fragment>
      ))}
    </span>
  );
}
