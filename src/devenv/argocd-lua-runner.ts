import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCacheEntry } from './cache-entry.ts';
import { goWorkspace } from './go-toolchain.ts';
import type { Progress } from './progress.ts';
import { runCommand } from './run-command.ts';

/**
 * The Lua interpreter Argo CD runs resource health scripts with: gopher-lua (Lua 5.1), at the
 * version Argo CD's go.mod requires. The health scripts in deploy/argocd are tested with it rather
 * than with a C Lua 5.4, whose semantics (integers, string library always open) differ from what
 * runs in production. Kept here rather than in versions.ts because only those tests use it.
 */
export const GOPHER_LUA_VERSION = '1.1.1';

const GOPHER_LUA_MODULE = 'github.com/yuin/gopher-lua';

/**
 * The runner: Argo CD's environment for a resource customization's health.lua (util/lua/lua.go),
 * reproduced. Only the package, base and table libraries are open (a customization from argocd-cm
 * runs without the string, math or os libraries unless it sets useOpenLibs), each script run has
 * a 1 s deadline, `obj` is the resource decoded from JSON (numbers as Lua numbers), the script must
 * return a table, and a status outside Argo CD's six becomes Unknown. Input: a file holding a JSON
 * array of resources; output on stdout: a JSON array of {status, message} or {error}, in order.
 */
const RUNNER_SOURCE = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "${GOPHER_LUA_MODULE}"
)

type result struct {
	Status  string \`json:"status,omitempty"\`
	Message string \`json:"message,omitempty"\`
	Error   string \`json:"error,omitempty"\`
}

var healthStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

func decodeValue(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []interface{}:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]interface{}:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

func run(script string, obj map[string]interface{}) result {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return result{Error: err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj))
	if err := l.DoString(script); err != nil {
		return result{Error: err.Error()}
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return result{Error: fmt.Sprintf("expect table output from Lua script, not %s", l.Get(-1).Type().String())}
	}
	status := lua.LVAsString(table.RawGetString("status"))
	if !healthStatuses[status] {
		return result{Status: "Unknown", Message: "Lua returned an invalid health status"}
	}
	return result{Status: status, Message: lua.LVAsString(table.RawGetString("message"))}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua-runner SCRIPT RESOURCES.json")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	input, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var objects []map[string]interface{}
	if err := json.Unmarshal(input, &objects); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	results := make([]result, 0, len(objects))
	for _, obj := range objects {
		results = append(results, run(string(script), obj))
	}
	out, _ := json.Marshal(results)
	fmt.Println(string(out))
}
`;

/** What a health script returned for one resource (or why it failed). */
export interface LuaHealth {
  readonly status?: string;
  readonly message?: string;
  readonly error?: string;
}

export interface ArgoLuaRunner {
  readonly path: string;
  /** Runs `script` (a file) once per resource, each in a fresh Lua state as Argo CD does. */
  health(scriptPath: string, resources: readonly unknown[]): Promise<LuaHealth[]>;
}

/** Built once per gopher-lua version and runner source (a changed runner is a new cache entry). */
export async function ensureArgoLuaRunner(
  cacheDir: string,
  progress: Progress,
  env: NodeJS.ProcessEnv,
  version: string = GOPHER_LUA_VERSION,
): Promise<ArgoLuaRunner> {
  const source = createHash('sha256').update(RUNNER_SOURCE).digest('hex').slice(0, 12);
  const dir = await ensureCacheEntry({
    cacheDir,
    key: `argocd-lua-runner-gopher-lua-${version}-${source}`,
    label: `build the Argo CD health script runner (gopher-lua ${version}) from the Go module proxy`,
    progress,
    build: async (staging) => {
      const ws = await goWorkspace(staging, env);
      await ws.writeGoMod('module local/flinkvisor-argocd-lua-runner\n\ngo 1.24.0\n');
      await writeFile(join(ws.moduleDir, 'main.go'), RUNNER_SOURCE);
      await ws.go(['get', `${GOPHER_LUA_MODULE}@v${version}`]);
      await ws.build(['.'], { ldflags: '-s -w', output: join(staging, 'bin', 'argocd-lua-runner') });
    },
  });
  const path = join(dir, 'bin', 'argocd-lua-runner');
  return {
    path,
    health: async (scriptPath, resources) => {
      const scratch = await mkdtemp(join(tmpdir(), 'flinkvisor-lua-'));
      try {
        const input = join(scratch, 'resources.json');
        await writeFile(input, JSON.stringify(resources));
        const { stdout } = await runCommand(path, [scriptPath, input], { timeoutMs: 60_000 });
        return JSON.parse(stdout) as LuaHealth[];
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  };
}
