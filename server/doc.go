// Package server is ember's network front end: listeners, the per-client
// connection loop, the RESP2/RESP3 reply writer, the command table and every
// command handler, configuration, and server-level state (clients registry,
// stats). It is the only package that speaks RESP; it reaches the keyspace
// through store.Tx and never touches the store's internals.
//
// Files: commands.go is the command table and command.go its machinery;
// client.go the connection loop and dispatch; resp.go the request reader;
// reply.go the reply writer; errors.go every Redis error string; config.go
// the parameter table; cmd_<family>.go the handlers by family; admin.go the
// admin HTTP listener and metrics.go its Prometheus collector; slowlog.go,
// latency.go and monitor.go what the command path hands every call to;
// output.go the asynchronous output queue of clients others write to;
// pubsub.go the channel and pattern registry; notify.go keyspace
// notifications.
package server
