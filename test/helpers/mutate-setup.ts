/**
 * Setup of the tests StrykerJS runs (vitest.mutate.config.ts): a property that fails stops at
 * its first counterexample instead of shrinking it. A mutant is killed by the failure itself;
 * shrinking only makes the report nicer, and under a mutant it can take longer than the test.
 */
import fc from 'fast-check';

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });
