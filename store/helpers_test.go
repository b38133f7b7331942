package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/canaille-go/canaille/store"
)

// validationFields returns the fields named by err, which must hold a
// store.ValidationErrors whose every element has a reason; nil err gives
// nil.
func validationFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ves store.ValidationErrors
	if !errors.As(err, &ves) {
		t.Fatalf("error %v (%T) is not a store.ValidationErrors", err, err)
	}
	if len(ves) == 0 {
		t.Fatalf("error %v is an empty store.ValidationErrors", err)
	}
	var fields []string
	for _, ve := range ves {
		if ve == nil {
			t.Fatalf("error %v holds a nil *ValidationError", err)
		}
		if ve.Reason == "" {
			t.Errorf("field %q has no reason", ve.Field)
		}
		fields = append(fields, ve.Field)
	}
	return fields
}

// wantFields fails unless err names exactly these fields, in this order
// (none: err must be nil).
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	if got := validationFields(t, err); !slices.Equal(got, fields) {
		t.Errorf("fields in error = %q, want %q (error: %v)", got, fields, err)
	}
}

// reasonOf returns the reason given for field, failing if there is none.
func reasonOf(t *testing.T, err error, field string) string {
	t.Helper()
	var ves store.ValidationErrors
	if !errors.As(err, &ves) {
		t.Fatalf("error %v (%T) is not a store.ValidationErrors", err, err)
	}
	for _, ve := range ves {
		if ve.Field == field {
			return ve.Reason
		}
	}
	t.Fatalf("error %v does not name field %q", err, field)
	return ""
}
