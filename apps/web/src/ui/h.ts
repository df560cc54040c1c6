/**
 * `h` is React's createElement. The repo's TypeScript config has no JSX transform (it is
 * shared by Node packages), so screens are written as `h(tag, props, ...children)`: fully
 * type-checked, no build step of their own, and what JSX compiles to anyway.
 */
export { createElement as h, Fragment } from 'react';
