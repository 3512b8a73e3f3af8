// Package tests holds ember's end-to-end tests: they build the real binary,
// run it on a free loopback port, and drive it with real tools and clients
// (redis-cli, redis-benchmark, signals, config files, and the Node.js
// client suite in tests/node). Tests that need a tool skip when it is not
// installed, unless EMBER_REQUIRE_REDIS=1 or EMBER_REQUIRE_NODE=1 (set by
// .ci/test.sh) make its absence a failure.
package tests
