// Browser entry bundled by esbuild into an IIFE (window.Sentry), as a site's bundler would.
import * as Sentry from '@sentry/browser';
window.Sentry = Sentry;
