package sam_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The functions' wiring is read from its source, parsed but not type-checked: internal/app and
// the packages under it, where each function's package declares an app.Function value, and
// functions/<dir>/main.go, which starts one.

// wiringPkg is one package of internal/app/**, parsed.
type wiringPkg struct {
	path    string                     // import path
	imports map[string]string          // import path by the name the package's files use
	funcs   map[string]*ast.FuncDecl   // top-level funcs by name
	methods map[string][]*ast.FuncDecl // methods by name, of any receiver
	vars    map[string]ast.Expr        // top-level vars' values by name
}

// wiringFunction is a Function value: var <Var> = app.Function{Name: "<Name>", …}, or a call of
// a wiring func that returns a Function, its name first, like httpfn.Function("<Name>", …).
type wiringFunction struct {
	pkg     *wiringPkg
	varName string
	name    string   // the logical ID
	expr    ast.Expr // the var's value
}

// wiring is internal/app/**'s source: its packages by import path.
type wiring struct {
	app  string // internal/app's import path
	pkgs map[string]*wiringPkg
}

// loadWiring parses internal/app/**, tests excepted.
func loadWiring(t *testing.T) *wiring {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(gomod)
	if module == nil {
		t.Fatal("go.mod names no module")
	}
	w := &wiring{app: string(module[1]) + "/internal/app", pkgs: map[string]*wiringPkg{}}
	dir := filepath.Join(root, "internal", "app")
	fset := token.NewFileSet()
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(p) != ".go" || strings.HasSuffix(p, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, filepath.Dir(p))
		if err != nil {
			return err
		}
		importPath := path.Join(w.app, filepath.ToSlash(rel))
		pkg := w.pkgs[importPath]
		if pkg == nil {
			pkg = &wiringPkg{path: importPath, imports: map[string]string{}, funcs: map[string]*ast.FuncDecl{},
				methods: map[string][]*ast.FuncDecl{}, vars: map[string]ast.Expr{}}
			w.pkgs[importPath] = pkg
		}
		for _, imp := range file.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			name := path.Base(ip) // the packages followed are named after their directory
			if imp.Name != nil {
				name = imp.Name.Name
			}
			pkg.imports[name] = ip
		}
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					pkg.methods[d.Name.Name] = append(pkg.methods[d.Name.Name], d)
				} else {
					pkg.funcs[d.Name.Name] = d
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if vs, ok := spec.(*ast.ValueSpec); ok && d.Tok == token.VAR {
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								pkg.vars[n.Name] = vs.Values[i]
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.pkgs[w.app] == nil {
		t.Fatalf("no package %s", w.app)
	}
	return w
}

// imported returns the package of internal/app/** that pkg imports as name, or nil.
func (w *wiring) imported(pkg *wiringPkg, name string) *wiringPkg {
	return w.pkgs[pkg.imports[name]]
}

// functions returns the Function values of internal/app/**.
func (w *wiring) functions() []wiringFunction {
	var fns []wiringFunction
	for _, pkg := range w.pkgs {
		for v, expr := range pkg.vars {
			if name, ok := w.functionName(pkg, expr); ok {
				fns = append(fns, wiringFunction{pkg: pkg, varName: v, name: name, expr: expr})
			}
		}
	}
	return fns
}

// function returns the Function value named id, or reports that there is not one.
func (w *wiring) function(t *testing.T, id string) (wiringFunction, bool) {
	t.Helper()
	var found []wiringFunction
	for _, fn := range w.functions() {
		if fn.name == id {
			found = append(found, fn)
		}
	}
	if len(found) != 1 {
		t.Errorf("internal/app declares %d Function values named %q, want 1", len(found), id)
		return wiringFunction{}, false
	}
	return found[0], true
}

// functionName returns the Name literal of a Function value, if expr makes one.
func (w *wiring) functionName(pkg *wiringPkg, expr ast.Expr) (string, bool) {
	switch e := expr.(type) {
	case *ast.CompositeLit:
		if w.isFunctionType(pkg, e.Type) {
			for _, elt := range e.Elts {
				if kv, ok := elt.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Name") {
					return stringLit(kv.Value)
				}
			}
		}
	case *ast.CallExpr:
		if callee, in := w.resolveFunc(pkg, e.Fun); callee != nil && len(e.Args) > 0 &&
			callee.Type.Results != nil && len(callee.Type.Results.List) == 1 && w.isFunctionType(in, callee.Type.Results.List[0].Type) {
			return stringLit(e.Args[0])
		}
	}
	return "", false
}

// isFunctionType reports whether typ, written in pkg, is app.Function.
func (w *wiring) isFunctionType(pkg *wiringPkg, typ ast.Expr) bool {
	switch t := typ.(type) {
	case *ast.Ident:
		return pkg.path == w.app && t.Name == "Function"
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		return ok && pkg.imports[x.Name] == w.app && t.Sel.Name == "Function"
	}
	return false
}

// resolveFunc returns the top-level func that fun (f or pkg.F) names, and its package, or nil.
func (w *wiring) resolveFunc(pkg *wiringPkg, fun ast.Expr) (*ast.FuncDecl, *wiringPkg) {
	switch f := fun.(type) {
	case *ast.Ident:
		return pkg.funcs[f.Name], pkg
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			if in := w.imported(pkg, x.Name); in != nil {
				return in.funcs[f.Sel.Name], in
			}
		}
	}
	return nil, nil
}

// envName is the shape of an environment variable's name.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*[A-Z0-9]$`)

// envReaders are the funcs and methods that read the environment variables their string
// arguments name: os's and Deps' Getenv, a getenv func, Deps.IntEnv, app's require.
var envReaders = map[string]bool{"Getenv": true, "getenv": true, "LookupEnv": true, "IntEnv": true, "require": true}

// variables returns the environment variables a function's wiring names: its Required list, and
// the names passed to an env reader by the code it runs in internal/app/** — its Build func and
// the helpers it calls or refers to in its own package and the packages of internal/app it
// imports, and app.Function's methods — at start or only when a request comes. Each is named once.
func (w *wiring) variables(fn wiringFunction) []string {
	var names []string
	addLits := func(args []ast.Expr) {
		for _, arg := range args {
			if v, ok := stringLit(arg); ok && envName.MatchString(v) {
				names = append(names, v)
			}
		}
	}
	// Required: the []string given as Required, or to a wiring func such as httpfn.Function.
	switch e := fn.expr.(type) {
	case *ast.CompositeLit:
		for _, elt := range e.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Required") {
				if lit, ok := kv.Value.(*ast.CompositeLit); ok {
					addLits(lit.Elts)
				}
			}
		}
	case *ast.CallExpr:
		for _, arg := range e.Args {
			if lit, ok := arg.(*ast.CompositeLit); ok {
				if at, ok := lit.Type.(*ast.ArrayType); ok && isIdent(at.Elt, "string") {
					addLits(lit.Elts)
				}
			}
		}
	}

	reachable := w.reachable(fn.pkg)
	seen := map[ast.Node]bool{}
	var walk func(pkg *wiringPkg, n ast.Node)
	follow := func(pkg *wiringPkg, name string) {
		if f := pkg.funcs[name]; f != nil {
			walk(pkg, f)
		}
		if v := pkg.vars[name]; v != nil {
			walk(pkg, v)
		}
	}
	walk = func(pkg *wiringPkg, n ast.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		var visit func(n ast.Node) bool
		visit = func(n ast.Node) bool {
			switch e := n.(type) {
			case *ast.CallExpr:
				var callee string
				switch f := e.Fun.(type) {
				case *ast.Ident:
					callee = f.Name
				case *ast.SelectorExpr:
					callee = f.Sel.Name
				}
				if envReaders[callee] {
					addLits(e.Args)
				}
			case *ast.Ident: // a func or var of the package, called or passed on
				follow(pkg, e.Name)
			case *ast.SelectorExpr:
				x, isIdent := e.X.(*ast.Ident)
				switch {
				case isIdent && pkg.imports[x.Name] != "": // pkg.F: followed if pkg is in internal/app
					if in := w.imported(pkg, x.Name); in != nil {
						follow(in, e.Sel.Name)
					}
					return false
				default: // x.M: every method M of the packages the function links
					for _, p := range reachable {
						for _, m := range p.methods[e.Sel.Name] {
							walk(p, m)
						}
					}
					ast.Inspect(e.X, visit)
					return false
				}
			}
			return true
		}
		ast.Inspect(n, visit)
	}
	walk(fn.pkg, fn.expr)
	app := w.pkgs[w.app]
	for _, ms := range app.methods {
		for _, m := range ms {
			recv := m.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if isIdent(recv, "Function") {
				walk(app, m)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// started returns the logical IDs of the Functions that the main func of the main.go at mainGo
// starts: pkg.V.Start() where pkg is a package of internal/app/** and V a Function value of it.
func (w *wiring) started(t *testing.T, mainGo string) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), mainGo, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]string{}
	for _, imp := range file.Imports {
		ip, _ := strconv.Unquote(imp.Path.Value)
		imports[path.Base(ip)] = ip
		if imp.Name != nil {
			imports[imp.Name.Name] = ip
		}
	}
	var ids []string
	for _, decl := range file.Decls {
		main, ok := decl.(*ast.FuncDecl)
		if !ok || main.Recv != nil || main.Name.Name != "main" {
			continue
		}
		ast.Inspect(main.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			start, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || start.Sel.Name != "Start" {
				return true
			}
			if v, ok := start.X.(*ast.SelectorExpr); ok {
				if x, ok := v.X.(*ast.Ident); ok {
					if pkg := w.pkgs[imports[x.Name]]; pkg != nil {
						if name, ok := w.functionName(pkg, pkg.vars[v.Sel.Name]); ok {
							ids = append(ids, name)
						}
					}
				}
			}
			return true
		})
	}
	return ids
}

// reachable returns pkg and the packages of internal/app/** it imports, directly or not.
func (w *wiring) reachable(pkg *wiringPkg) []*wiringPkg {
	seen := map[*wiringPkg]bool{}
	var out []*wiringPkg
	var add func(p *wiringPkg)
	add = func(p *wiringPkg) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		out = append(out, p)
		for _, ip := range p.imports {
			add(w.pkgs[ip])
		}
	}
	add(pkg)
	return out
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
