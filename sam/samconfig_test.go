package sam_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trackly/tune-integration/dev/samtemplate"
)

// readTOML reads the flat TOML of samconfig.toml: [table.path] headers and key = value lines with
// string, boolean and number values, into "table.path.key" -> value.
func readTOML(t *testing.T, path string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]any{}
	table := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			table = strings.TrimSpace(strings.Trim(line, "[]")) + "."
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: not key = value: %s", path, n, line)
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			var v any
			switch {
			case strings.HasPrefix(value, `"`):
				s, err := strconv.Unquote(value)
				if err != nil {
					t.Fatalf("%s:%d: %v", path, n, err)
				}
				v = s
			case value == "true" || value == "false":
				v = value == "true"
			default:
				f, err := strconv.ParseFloat(value, 64)
				if err != nil {
					t.Fatalf("%s:%d: unsupported value %s", path, n, value)
				}
				v = f
			}
			if _, dup := out[table+key]; dup {
				t.Fatalf("%s:%d: %s set twice", path, n, table+key)
			}
			out[table+key] = v
		}
	}
	return out
}

var overridePattern = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S+)`)

// parseOverrides reads SAM's parameter_overrides: Key="Value" pairs separated by spaces.
func parseOverrides(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	rest := s
	for _, m := range overridePattern.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			var err error
			if v, err = strconv.Unquote(v); err != nil {
				t.Fatalf("parameter_overrides %q: %v", s, err)
			}
		}
		out[m[1]] = v
		rest = strings.Replace(rest, m[0], "", 1)
	}
	if strings.TrimSpace(rest) != "" {
		t.Errorf("parameter_overrides %q: cannot read %q", s, rest)
	}
	return out
}

func TestSamconfigDeploysEachStage(t *testing.T) {
	cfg := readTOML(t, filepath.Join(root, "samconfig.toml"))
	if cfg["version"] != 0.1 {
		t.Errorf("version = %v, want 0.1", cfg["version"])
	}
	stacks := map[string]string{}
	for env, stage := range map[string]string{"default": "dev", "dev": "dev", "prod": "prod"} {
		t.Run(env, func(t *testing.T) {
			deploy := func(key string) any { return cfg[env+".deploy.parameters."+key] }
			stack, _ := cfg[env+".global.parameters.stack_name"].(string)
			if s, ok := deploy("stack_name").(string); ok {
				stack = s
			}
			if stack == "" {
				t.Fatal("no stack_name")
			}
			if other, ok := stacks[stage]; ok && other != stack {
				t.Errorf("stage %s deploys to stacks %s and %s", stage, other, stack)
			}
			stacks[stage] = stack
			if caps, _ := deploy("capabilities").(string); !strings.Contains(caps, "CAPABILITY_IAM") {
				t.Errorf("capabilities %q: SAM creates the functions' roles, CAPABILITY_IAM is needed", caps)
			}
			if deploy("resolve_s3") != true {
				t.Error("resolve_s3 is not true: sam deploy would need an artefact bucket")
			}
			confirm, ok := deploy("confirm_changeset").(bool)
			if !ok || (stage == "prod" && !confirm) {
				t.Errorf("confirm_changeset %v; it must be set, and true for prod", deploy("confirm_changeset"))
			}
			if cfg[env+".build.parameters.cached"] == nil && env != "default" {
				t.Errorf("no [%s.build.parameters]: `sam build --config-env %s` would use none", env, env)
			}
			overrides, _ := deploy("parameter_overrides").(string)
			params := parseOverrides(t, overrides)
			if params["Stage"] != stage {
				t.Errorf("parameter_overrides Stage=%q, want %q", params["Stage"], stage)
			}
			// Every override names a template parameter and is one it accepts.
			if _, err := samtemplate.Parse(templatePath, samtemplate.Options{Parameters: params}); err != nil {
				t.Errorf("parameter_overrides %q: %v", overrides, err)
			}
		})
	}
	if stacks["dev"] == stacks["prod"] {
		t.Error("dev and prod deploy to the same stack")
	}
}
