package memtable

import (
	"context"
	"fmt"
)

// Secrets stands for the secret store (SSM parameters in AWS): secret values by name. Reading a
// name that has no value answers an error that wraps trackly.ErrNotFound.
type Secrets map[string]string

// Get returns the value of the named secret.
func (s Secrets) Get(_ context.Context, name string) (string, error) {
	v, err := Get(s, name)
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", name, err)
	}
	return v, nil
}

// Put sets the value of the named secret.
func (s Secrets) Put(_ context.Context, name, value string) error {
	s[name] = value
	return nil
}

// Delete removes the named secret, if there is one.
func (s Secrets) Delete(_ context.Context, name string) error {
	delete(s, name)
	return nil
}
