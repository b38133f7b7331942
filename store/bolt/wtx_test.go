package bolt

import (
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// A read transaction's get goes through the cursor it keeps for the
// bucket: it must answer as Bucket.Get does, whatever key the cursor
// lands on, and in any order of keys and buckets.
func TestReadGetMatchesBucketGet(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	buckets := []string{"a", "b", "c", "d", "e", "f"}
	err = db.Update(func(tx *bbolt.Tx) error {
		a, _ := tx.CreateBucket([]byte("a"))
		for _, name := range buckets[1:] { // more than a transaction keeps cursors for
			b, _ := tx.CreateBucket([]byte(name))
			for _, k := range []string{"k1", "k10", "k3", "m"} {
				b.Put([]byte(k), []byte(name+":"+k))
			}
		}
		for _, k := range []string{"k1", "k10", "k3", "m"} {
			a.Put([]byte(k), []byte("a:"+k))
		}
		a.Put([]byte("empty"), []byte{})
		_, err := a.CreateBucket([]byte("nested"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"k10", "k1", "k", "k2", "k3", "z", "", "empty", "nested", "m", "k1"}
	err = db.View(func(tx *bbolt.Tx) error {
		w := direct(tx)
		for _, bucket := range append(buckets, "a", "f", "b") {
			for _, k := range keys {
				got := w.get([]byte(bucket), []byte(k))
				want := tx.Bucket([]byte(bucket)).Get([]byte(k))
				if string(got) != string(want) || (got == nil) != (want == nil) {
					t.Errorf("get(%s, %q) = %q, want %q", bucket, k, got, want)
				}
			}
		}
		if got := w.get([]byte("missing"), []byte("k1")); got != nil {
			t.Errorf("a missing bucket gives %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
