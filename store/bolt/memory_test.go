package bolt_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/bolt/bolttest"
)

// TestReleaseMemory: dropping the file's pages keeps the data readable.
func TestReleaseMemory(t *testing.T) {
	st := bolttest.Open(t, nil)
	ctx := context.Background()
	for i := range 200 {
		if _, err := st.CreateUser(ctx, store.User{UserName: fmt.Sprintf("user%03d", i), FamilyName: "Tester"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReleaseMemory(); err != nil {
		t.Fatal(err)
	}
	n, err := st.CountUsers(ctx)
	if err != nil || n != 200 {
		t.Fatalf("CountUsers after ReleaseMemory = %d, %v", n, err)
	}
	u, err := st.GetUserByName(ctx, "user123")
	if err != nil || u.FamilyName != "Tester" {
		t.Fatalf("GetUserByName after ReleaseMemory = %+v, %v", u, err)
	}
	if _, err := st.CreateUser(ctx, store.User{UserName: "after", FamilyName: "Tester"}); err != nil {
		t.Fatal(err)
	}
}
