package server

import "slices"

// Pub/Sub commands (Redis's pubsub.c). The registry and delivery are in
// pubsub.go; these handlers parse and reply.

// SUBSCRIBE channel [channel ...]
func cmdSubscribe(c *Client, args [][]byte) { c.subscribe(subChannel, args[1:]) }

// PSUBSCRIBE pattern [pattern ...]
func cmdPsubscribe(c *Client, args [][]byte) { c.subscribe(subPattern, args[1:]) }

// SSUBSCRIBE shardchannel [shardchannel ...]
func cmdSsubscribe(c *Client, args [][]byte) { c.subscribe(subShard, args[1:]) }

// UNSUBSCRIBE [channel [channel ...]]
func cmdUnsubscribe(c *Client, args [][]byte) { c.unsubscribe(subChannel, args[1:], false) }

// PUNSUBSCRIBE [pattern [pattern ...]]
func cmdPunsubscribe(c *Client, args [][]byte) { c.unsubscribe(subPattern, args[1:], false) }

// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
func cmdSunsubscribe(c *Client, args [][]byte) { c.unsubscribe(subShard, args[1:], false) }

// PUBLISH channel message
func cmdPublish(c *Client, args [][]byte) {
	c.WriteInt(c.srv.pubsub.publish(c, c.pubScratch(), args[1], args[2], false))
}

// SPUBLISH shardchannel message
func cmdSpublish(c *Client, args [][]byte) {
	c.WriteInt(c.srv.pubsub.publish(c, c.pubScratch(), args[1], args[2], true))
}

// pubScratch returns the client's reusable publishing buffers.
func (c *Client) pubScratch() *pubScratch {
	if c.pubBuf == nil {
		c.pubBuf = &pubScratch{}
	}
	return c.pubBuf
}

// PUBSUB CHANNELS [pattern]
func cmdPubsubChannels(c *Client, args [][]byte) { pubsubChannels(c, args, &c.srv.pubsub.channels) }

// PUBSUB SHARDCHANNELS [pattern]
func cmdPubsubShardchannels(c *Client, args [][]byte) { pubsubChannels(c, args, &c.srv.pubsub.shard) }

// pubsubChannels lists the active channels of t matching an optional
// pattern.
func pubsubChannels(c *Client, args [][]byte, t *chanTable) {
	if len(args) > 3 {
		c.WriteError(errSubcommandSyntax(args))
		return
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	names := t.names(pattern)
	slices.Sort(names)
	c.WriteArray(len(names))
	for _, n := range names {
		c.WriteBulkString(n)
	}
}

// PUBSUB NUMSUB [channel [channel ...]]
func cmdPubsubNumsub(c *Client, args [][]byte) { pubsubNumsub(c, args, &c.srv.pubsub.channels) }

// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
func cmdPubsubShardnumsub(c *Client, args [][]byte) { pubsubNumsub(c, args, &c.srv.pubsub.shard) }

// pubsubNumsub answers each channel's subscriber count.
func pubsubNumsub(c *Client, args [][]byte, t *chanTable) {
	c.WriteArray(2 * (len(args) - 2))
	for _, ch := range args[2:] {
		c.WriteBulk(ch)
		c.WriteInt(int64(t.numSub(ch)))
	}
}

// PUBSUB NUMPAT
func cmdPubsubNumpat(c *Client, args [][]byte) { c.WriteInt(c.srv.pubsub.patterns.n.Load()) }

// pubsubHelp is PUBSUB HELP's text, in Redis's words.
var pubsubHelp = []string{
	"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
	"HELP",
	"    Prints this help.",
}

// PUBSUB HELP
func cmdPubsubHelp(c *Client, args [][]byte) { c.writeHelp(pubsubHelp) }
