#!/usr/bin/env node
/**
 * The `transplant` executable (package.json "bin", also as `kubectl-transplant`). It runs the
 * program bundled into a few files when `make build` has bundled the current compile, and the
 * compiled modules otherwise.
 *
 * Why a bundle: a seed loaded about 1,150 modules one file at a time on every start, 1.0-1.5 CPU s
 * of resolving, reading and linking before its first line of work, and the garden, `up` and every
 * short command paid the same in proportion. The bundle (tools/bundle.ts) is the same compiled
 * code in one module graph of a few chunks; docs/development.md has the figures.
 */
import { bundleIsCurrent } from './entry-choice.js';

const compiled = new URL('./program.js', import.meta.url);
const bundled = new URL('../../bundle/program.js', import.meta.url);
await import((bundleIsCurrent(bundled, compiled, process.env) ? bundled : compiled).href);
