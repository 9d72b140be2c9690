package sam_test

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goArch maps a Lambda architecture to GOARCH.
var goArch = map[string]string{"arm64": "arm64", "x86_64": "amd64"}

// lambdaArch returns the GOARCH of a function's Architectures.
func lambdaArch(t *testing.T, id string) string {
	t.Helper()
	archs := template(t).Functions[id].Architectures
	if len(archs) != 1 || goArch[archs[0]] == "" {
		t.Fatalf("%s Architectures %v, want one of arm64, x86_64", id, archs)
	}
	return goArch[archs[0]]
}

// functionDir maps a logical ID to its directory under functions/, as the Makefile does.
func functionDir(id string) string {
	return strings.ToLower(strings.TrimSuffix(id, "Function"))
}

func needMake(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed; `sam build` (BuildMethod: makefile) needs it as well")
	}
}

// makeCmd runs make in the repository as `sam build` does: ARTIFACTS_DIR in the environment.
func makeCmd(artifacts string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", root}, args...)...)
	cmd.Env = append(os.Environ(), "ARTIFACTS_DIR="+artifacts)
	return cmd
}

// splitWords splits a shell command line into words, honouring quotes.
func splitWords(line string) []string {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestMakefileHasSAMsBuildTargets checks, without building, that `make build-<LogicalId>` (what
// `sam build` runs) builds the function's own main package into $ARTIFACTS_DIR/bootstrap for
// Lambda: linux, the template's architecture, no cgo, lambda.norpc, trimmed and stripped; and
// that the package's main starts the Function of internal/app named after the logical ID.
func TestMakefileHasSAMsBuildTargets(t *testing.T) {
	needMake(t)
	w := loadWiring(t)
	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			artifacts := filepath.Join(t.TempDir(), id)
			out, err := makeCmd(artifacts, "-n", "build-"+id).CombinedOutput()
			if err != nil {
				t.Fatalf("make -n build-%s: %v\n%s", id, err, out)
			}
			var build []string
			for _, line := range strings.Split(string(out), "\n") {
				if w := splitWords(line); slices.Contains(w, "build") && slices.ContainsFunc(w, func(s string) bool { return filepath.Base(s) == "go" }) {
					build = w
				}
			}
			if build == nil {
				t.Fatalf("make -n build-%s runs no go build:\n%s", id, out)
			}
			words := map[string]bool{}
			flags := map[string]string{} // a flag followed by its value
			for i, w := range build {
				words[w] = true
				if i+1 < len(build) {
					flags[w] = build[i+1]
				}
			}
			for _, w := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + lambdaArch(t, id), "-trimpath", "./functions/" + functionDir(id)} {
				if !words[w] {
					t.Errorf("the build command lacks %s: %s", w, strings.Join(build, " "))
				}
			}
			if !slices.Contains(strings.Split(flags["-tags"], ","), "lambda.norpc") {
				t.Errorf("-tags %q, want lambda.norpc", flags["-tags"])
			}
			if f := strings.Fields(flags["-ldflags"]); !slices.Contains(f, "-s") || !slices.Contains(f, "-w") || !slices.Contains(f, "-buildid=") {
				t.Errorf("-ldflags %q, want -s -w -buildid=", flags["-ldflags"])
			}
			if flags["-o"] != filepath.Join(artifacts, "bootstrap") {
				t.Errorf("-o %q, want $ARTIFACTS_DIR/bootstrap", flags["-o"])
			}
			if started := w.started(t, filepath.Join(root, "functions", functionDir(id), "main.go")); !slices.Equal(started, []string{id}) {
				t.Errorf("functions/%s/main.go starts the Functions of internal/app named %q, want just %s", functionDir(id), started, id)
			}
		})
	}
	out, err := makeCmd(t.TempDir(), "-n", "build").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build: %v\n%s", err, out)
	}
	for _, id := range functionIDs {
		if !strings.Contains(string(out), "./functions/"+functionDir(id)+"\n") {
			t.Errorf("make build does not build %s", id)
		}
	}
}

// TestBootstrapsBuildForLambda builds every function as `sam build` does and checks what Lambda
// will run: a static, stripped linux/<architecture> executable named bootstrap, with the build
// settings of the Makefile recorded in it.
func TestBootstrapsBuildForLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every bootstrap; -short skips it")
	}
	needMake(t)
	for _, id := range functionIDs { // the first build compiles the shared packages; the others link
		t.Run(id, func(t *testing.T) {
			artifacts := filepath.Join(t.TempDir(), id)
			if out, err := makeCmd(artifacts, "build-"+id).CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
			checkBootstrap(t, filepath.Join(artifacts, "bootstrap"), id)
		})
	}
}

func checkBootstrap(t *testing.T, path, id string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("bootstrap is not executable: %v", info.Mode())
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	defer f.Close()
	machine := map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64}[lambdaArch(t, id)]
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want %v ET_EXEC", f.Machine, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked; provided.al2023 wants a static binary (CGO_ENABLED=0)")
		}
	}
	// -ldflags "-s -w -buildid=": no symbol table, no DWARF, no Go build ID (go records no
	// -ldflags in the build info of a -trimpath build, so the binary itself is checked).
	if f.Section(".symtab") != nil {
		t.Error("bootstrap keeps its symbol table (-ldflags -s)")
	}
	if f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil {
		t.Error("bootstrap keeps DWARF (-ldflags -w)")
	}
	if f.Section(".note.go.buildid") != nil {
		t.Error("bootstrap has a Go build ID (-ldflags -buildid=)")
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/trackly/tune-integration/functions/" + functionDir(id); bi.Path != want {
		t.Errorf("bootstrap is %s, want %s", bi.Path, want)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": "linux", "GOARCH": lambdaArch(t, id), "CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != want {
			t.Errorf("built with %s=%q, want %q", key, settings[key], want)
		}
	}
	if !slices.Contains(strings.Split(settings["-tags"], ","), "lambda.norpc") {
		t.Errorf("built with -tags %q, want lambda.norpc", settings["-tags"])
	}
	if v, ok := settings["vcs.revision"]; ok {
		t.Errorf("bootstrap is stamped with VCS revision %s; the same source must build the same bootstrap", v)
	}
}
