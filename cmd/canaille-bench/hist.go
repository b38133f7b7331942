package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram records latencies in log-linear buckets, as HDR histograms do:
// exact below 128 ns, then 128 buckets per power of two, so that any
// recorded value is known within 0.8 % whatever its size, in a fixed 58 KiB
// with no allocation per operation. Each worker owns one; merge adds them.
type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	sum    uint64 // nanoseconds, for the mean
	min    uint64
	max    uint64
}

// subBits is log2 of the buckets per power of two.
const subBits = 7

// histBuckets covers every uint64: 64-subBits powers of two above the
// exact range, plus that range.
const histBuckets = (64 - subBits + 1) << subBits

// bucketOf returns the bucket index of v.
func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [128, 256)
	return (e+1)<<subBits + int(v>>uint(e)) - 1<<subBits
}

// bucketRange returns the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < 1<<subBits {
		return uint64(i), uint64(i)
	}
	e := uint(i>>subBits - 1)
	m := uint64(i&(1<<subBits-1) + 1<<subBits)
	return m << e, (m+1)<<e - 1
}

// record adds one latency.
func (h *histogram) record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.total++
	h.sum += v
}

// merge adds o's records to h.
func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// quantile returns the value below or at which a fraction q (0..1) of the
// records lie (the nearest-rank definition), as the middle of its bucket,
// clamped to the recorded minimum and maximum; 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	rank = min(max(rank, 1), h.total)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			lo, hi := bucketRange(i)
			v := lo + (hi-lo)/2
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// mean returns the average latency.
func (h *histogram) mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / h.total)
}
