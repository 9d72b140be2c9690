package samcheck

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trackly/tune-integration/internal/secrets"
)

// SSMKeyID is the id the emulator gives the AWS managed key aws/ssm.
const SSMKeyID = "0f3c5b9e-5d6a-4c1e-9a7b-55d0a5500550"

// SSM returns a handler that serves SSM Parameter Store's GetParameter, PutParameter and
// DeleteParameter (AWS JSON 1.1) over dir, one file per parameter at its name, and records each call with the KMS request
// SSM makes for a SecureString on the caller's behalf: kms:Decrypt (GetParameter WithDecryption)
// or kms:Encrypt (PutParameter), through ssm.<region>.amazonaws.com, with the encryption context
// PARAMETER_ARN.
func (r *Recorder) SSM(dir *secrets.Dir) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		principal, region := caller(req.Header)
		op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "AmazonSSM.")
		body, err := io.ReadAll(req.Body)
		if err != nil {
			ssmError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		var in struct {
			Name           string
			Value          string
			Type           string
			Overwrite      bool
			WithDecryption bool
		}
		if err := json.Unmarshal(body, &in); err != nil || in.Name == "" {
			ssmError(w, http.StatusBadRequest, "ValidationException", "a parameter name is required")
			return
		}
		param := r.arn(region, "ssm", "parameter/"+strings.TrimPrefix(in.Name, "/"))
		kms := func(action string) Request {
			if region == "" {
				region = r.Region
			}
			return Request{Principal: principal, Operation: "ssm:" + op, Action: action, Resource: r.arn(region, "kms", "key/"+SSMKeyID),
				Context: map[string]string{"kms:ViaService": "ssm." + region + ".amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN": param}}
		}
		call := Request{Principal: principal, Operation: "ssm:" + op, Action: "ssm:" + op, Resource: param}
		ctx := context.Background()
		mu.Lock()
		defer mu.Unlock()
		switch op {
		case "GetParameter":
			r.add(call)
			value, err := dir.Get(ctx, in.Name)
			if err != nil {
				dirError(w, err)
				return
			}
			if in.WithDecryption {
				r.add(kms("kms:Decrypt"))
			}
			writeSSM(w, map[string]any{"Parameter": map[string]any{
				"ARN": param, "Name": in.Name, "Type": "SecureString", "Value": value, "Version": 1, "DataType": "text",
				"LastModifiedDate": float64(time.Now().Unix()),
			}})
		case "PutParameter":
			r.add(call)
			if in.Type != "SecureString" {
				ssmError(w, http.StatusBadRequest, "ValidationException", "secrets must be SecureString parameters, not "+in.Type)
				return
			}
			put := dir.Create
			if in.Overwrite {
				put = dir.Put
			}
			if err := put(ctx, in.Name, in.Value); err != nil {
				dirError(w, err)
				return
			}
			r.add(kms("kms:Encrypt"))
			writeSSM(w, map[string]any{"Version": 1, "Tier": "Standard"})
		case "DeleteParameter":
			r.add(call)
			if _, err := dir.Get(ctx, in.Name); errors.Is(err, secrets.ErrNotFound) {
				dirError(w, err)
				return
			}
			if err := dir.Delete(ctx, in.Name); err != nil {
				dirError(w, err)
				return
			}
			writeSSM(w, map[string]any{})
		default:
			r.problem("%s: SSM %s is not emulated", principal, op)
			ssmError(w, http.StatusBadRequest, "InvalidAction", "the SSM emulator serves GetParameter, PutParameter and DeleteParameter only")
		}
	})
}

func writeSSM(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

// dirError answers the SSM error for an error of the parameters' directory.
func dirError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, secrets.ErrNotFound):
		ssmError(w, http.StatusBadRequest, "ParameterNotFound", "")
	case errors.Is(err, secrets.ErrExists):
		ssmError(w, http.StatusBadRequest, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	default:
		ssmError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
	}
}

func ssmError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": message})
}
