package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBuckets(t *testing.T) {
	// Buckets are contiguous and each value falls in its own bucket's range.
	prevHi := uint64(0)
	for i := 1; i < histBuckets; i++ {
		lo, hi := bucketRange(i)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d: [%d, %d] after %d", i, lo, hi, prevHi)
		}
		if i >= 1<<subBits && float64(hi-lo) > float64(lo)/(1<<subBits) {
			t.Fatalf("bucket %d: [%d, %d] wider than 1/128 of its value", i, lo, hi)
		}
		prevHi = hi
	}
	if prevHi != math.MaxUint64 {
		t.Fatalf("last bucket ends at %d", prevHi)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := r.Uint64() >> r.IntN(64)
		lo, hi := bucketRange(bucketOf(v))
		if v < lo || v > hi {
			t.Fatalf("%d in bucket %d = [%d, %d]", v, bucketOf(v), lo, hi)
		}
	}
}

// exactQuantile is the nearest-rank quantile of sorted values.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var parts [4]histogram
	var all []time.Duration
	for i := range 200_000 {
		// A log-normal-ish spread from a few µs to tens of ms, as latencies are.
		d := time.Duration(math.Exp(r.NormFloat64()*1.2 + math.Log(400e3)))
		all = append(all, d)
		parts[i%4].record(d)
	}
	var h histogram
	for i := range parts {
		h.merge(&parts[i])
	}
	slices.Sort(all)
	if h.total != uint64(len(all)) || time.Duration(h.max) != all[len(all)-1] || time.Duration(h.min) != all[0] {
		t.Fatalf("total %d min %d max %d", h.total, h.min, h.max)
	}
	for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		got, want := h.quantile(q), exactQuantile(all, q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.005 {
			t.Errorf("p%g: %v, exact %v (%.2f %% off)", q*100, got, want, rel*100)
		}
	}
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	if got, want := h.mean(), sum/time.Duration(len(all)); got != want {
		t.Errorf("mean %v, want %v", got, want)
	}
}

func TestQuantileSmall(t *testing.T) {
	var h histogram
	if h.quantile(0.5) != 0 || h.mean() != 0 {
		t.Fatal("empty histogram")
	}
	for _, us := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 100} {
		h.record(time.Duration(us) * time.Microsecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 5 * time.Microsecond, 0.9: 9 * time.Microsecond, 0.99: 100 * time.Microsecond} {
		got := h.quantile(q)
		if math.Abs(float64(got-want))/float64(want) > 0.005 {
			t.Errorf("p%g = %v, want %v", q*100, got, want)
		}
	}
	h.record(-time.Second) // clock oddities count as zero
	if h.min != 0 {
		t.Errorf("min %d", h.min)
	}
}
