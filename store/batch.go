package store

import (
	"context"
	"errors"
	"sync"
)

// A Batch defers the writes made with a context to one commit. A backend
// that supports it (store/bolt) records each write made with a context
// from WithBatch instead of committing it, and CommitBatch commits them
// all in one transaction, in order: all of them or none. Other backends
// write at once and have nothing left to commit.
//
// The OpenID Connect token endpoint uses it: a refresh (the old refresh
// token revoked, the family's access tokens revoked, two new tokens) is
// one commit instead of four, and a code exchange one instead of three.
// Reads see only committed data: a batch suits writes that follow the
// reads they depend on, and checks made inside a write's transaction
// (a refresh token already rotated, a code already used) fail the whole
// batch at CommitBatch.
type Batch struct {
	mu     sync.Mutex
	ops    []any
	closed bool
}

type batchKey struct{}

// WithBatch returns a context whose writes are deferred to CommitBatch.
func WithBatch(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, &Batch{})
}

// BatchFrom returns the batch of ctx, or nil.
func BatchFrom(ctx context.Context) *Batch {
	b, _ := ctx.Value(batchKey{}).(*Batch)
	return b
}

// Add records a backend's deferred write; it reports false once the batch
// is committed or discarded (the write must then be made at once).
func (b *Batch) Add(op any) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.ops = append(b.ops, op)
	return true
}

// take closes the batch and returns its writes.
func (b *Batch) take() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	ops := b.ops
	b.ops = nil
	return ops
}

// Batcher is implemented by the backends that defer writes to a Batch.
type Batcher interface {
	// CommitBatch commits the writes the backend recorded, in one
	// transaction.
	CommitBatch(ctx context.Context, ops []any) error
}

// errNoBatcher means writes were deferred for a backend that cannot
// commit them: a programming error.
var errNoBatcher = errors.New("store: deferred writes for a backend without CommitBatch")

// CommitBatch commits the writes deferred in ctx's batch to st; without a
// batch, or with nothing deferred, it does nothing.
func CommitBatch(ctx context.Context, st any) error {
	b := BatchFrom(ctx)
	if b == nil {
		return nil
	}
	ops := b.take()
	if len(ops) == 0 {
		return nil
	}
	bt, ok := st.(Batcher)
	if !ok {
		return errNoBatcher
	}
	return bt.CommitBatch(ctx, ops)
}

// DiscardBatch drops the writes deferred in ctx's batch.
func DiscardBatch(ctx context.Context) {
	if b := BatchFrom(ctx); b != nil {
		b.take()
	}
}
