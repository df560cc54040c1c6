/**
 * The safety number's scannable form as an SVG QR code (byte mode, ECC M), drawn as one path
 * of dark modules on a light square — always dark-on-light, whatever the theme, so cameras
 * read it. No inline styles (the page's CSP forbids them); colours come from the stylesheet.
 */
import { useMemo } from 'react';
import { encode } from 'uqr';
import { h } from './h.ts';

export function QrCode({ bytes, label }: { bytes: Uint8Array; label: string }) {
  const { d, size } = useMemo(() => {
    const qr = encode(Array.from(bytes), { ecc: 'M', border: 2 });
    let path = '';
    qr.data.forEach((row, y) =>
      row.forEach((dark, x) => {
        if (dark) path += `M${x} ${y}h1v1h-1z`;
      }),
    );
    return { d: path, size: qr.size };
  }, [bytes]);
  return h(
    'svg',
    {
      className: 'qr',
      viewBox: `0 0 ${size} ${size}`,
      role: 'img',
      'aria-label': label,
      shapeRendering: 'crispEdges',
    },
    h('rect', { className: 'qr__light', width: size, height: size }),
    h('path', { className: 'qr__dark', d }),
  );
}
