// Package sam checks template.yaml, samconfig.toml, the Makefile and events/ as SAM and Lambda
// will use them, without Docker or AWS: every function's build target exists and builds a Lambda
// bootstrap; every event source is wired and has a sample; every environment variable the code
// reads is set; every policy is least privilege (no wildcard data action, no grant beyond the
// function's own tables, queue and SSM parameters); the queue, dead-letter queue, alarm and table
// settings hold. Its tests are the package; e2e/rie runs the built bootstraps under AWS's Runtime
// Interface Emulator and audits their real AWS calls against the same policies.
package sam
