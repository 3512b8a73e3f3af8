package store

// SetClient names the client whose commands the Tx runs; journal records
// carry its id (Mutation.Client), so client-side caching can skip a
// client's own writes (CLIENT TRACKING ... NOLOOP).
func (tx *Tx) SetClient(id int64) { tx.client = id }
