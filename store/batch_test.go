package store_test

import (
	"context"
	"testing"

	"github.com/canaille-go/canaille/store"
)

func TestCommitBatchWithoutBatcher(t *testing.T) {
	ctx := context.Background()
	if err := store.CommitBatch(ctx, struct{}{}); err != nil {
		t.Errorf("CommitBatch without a batch: %v", err)
	}
	bctx := store.WithBatch(ctx)
	if err := store.CommitBatch(bctx, struct{}{}); err != nil {
		t.Errorf("CommitBatch of an empty batch: %v", err)
	}
	bctx = store.WithBatch(ctx)
	if !store.BatchFrom(bctx).Add("a write") {
		t.Fatal("Add to an open batch refused")
	}
	if err := store.CommitBatch(bctx, struct{}{}); err == nil {
		t.Error("deferred writes for a backend that cannot commit them: no error")
	}
	if store.BatchFrom(bctx).Add("late") {
		t.Error("Add to a committed batch accepted")
	}
}
