package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// SSMClient is the part of the SSM API that SSM uses.
type SSMClient interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// SSM keeps secrets as SecureString parameters under a path prefix such as "/trackly/prod/".
type SSM struct {
	client SSMClient
	prefix string
}

// NewSSM returns an SSM backend that names parameters prefix+name.
func NewSSM(client SSMClient, prefix string) *SSM {
	return &SSM{client: client, prefix: prefix}
}

// Get reads and decrypts the named parameter.
func (s *SSM) Get(ctx context.Context, name string) (string, error) {
	out, err := s.client.GetParameter(ctx, &ssm.GetParameterInput{
		Name:           aws.String(s.prefix + name),
		WithDecryption: aws.Bool(true),
	})
	var missing *types.ParameterNotFound
	if errors.As(err, &missing) {
		return "", notFound(name)
	}
	if err != nil {
		return "", fmt.Errorf("secrets: get %s%s: %w", s.prefix, name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Put creates or overwrites the named SecureString parameter.
func (s *SSM) Put(ctx context.Context, name, value string) error {
	return s.put(ctx, name, value, true)
}

// Create creates the named SecureString parameter if it does not exist.
func (s *SSM) Create(ctx context.Context, name, value string) error {
	return s.put(ctx, name, value, false)
}

func (s *SSM) put(ctx context.Context, name, value string, overwrite bool) error {
	_, err := s.client.PutParameter(ctx, &ssm.PutParameterInput{
		Name:      aws.String(s.prefix + name),
		Value:     aws.String(value),
		Type:      types.ParameterTypeSecureString,
		Overwrite: aws.Bool(overwrite),
	})
	var exists *types.ParameterAlreadyExists
	if errors.As(err, &exists) {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	if err != nil {
		return fmt.Errorf("secrets: put %s%s: %w", s.prefix, name, err)
	}
	return nil
}

// Delete deletes the named parameter.
func (s *SSM) Delete(ctx context.Context, name string) error {
	_, err := s.client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(s.prefix + name)})
	var missing *types.ParameterNotFound
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("secrets: delete %s%s: %w", s.prefix, name, err)
	}
	return nil
}
