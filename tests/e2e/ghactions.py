#!/usr/bin/python3
"""Reads and runs GitHub Actions workflows here, for tests/e2e/t0520, t0800.

  ghactions.py json WORKFLOW
      the workflow as JSON (the "on" key kept as "on"), for jq.
  ghactions.py run WORKFLOW JOB CONTEXTS RESULT
      runs JOB's steps on this machine as a runner would: each `run:` text
      through `bash --noprofile --norc -e` in the repository, with the
      machine's environment, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and the
      workflow's, job's and step's `env:` (expressions evaluated). CONTEXTS
      is a JSON file: {"github": {...}, "secrets": {...}, "vars": {...},
      "needs": {...}, "env": {...}}; its "env" replaces workflow-level env
      values (e.g. REGISTRY, the local registry instead of ghcr.io). Writes
      {"outputs": {...}, "summary": "..."} to RESULT. Exit 1 when a step
      fails, 2 when the workflow uses something this runner cannot do.

Only what the project's workflows use is supported: `${{ a.b.c }}` lookups
(vars and secrets that are not set are empty, as on GitHub), `uses:
actions/checkout` (skipped: the working tree is the checkout; `run:` steps
before it bootstrap the job's container and are skipped too), step `id:`
outputs and job `outputs:`. No secret goes into argv: values reach the
steps through their environment.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
EXPR = re.compile(r'\$\{\{\s*([^}]*?)\s*\}\}')


class Unsupported(Exception):
    pass


def load(path):
    with open(path, encoding='utf-8') as f:
        wf = yaml.safe_load(f)
    if True in wf:                      # YAML 1.1 reads the key `on` as true
        wf['on'] = wf.pop(True)
    return wf


def lookup(ctx, expr):
    if not re.fullmatch(r'[A-Za-z_][\w-]*(\.[\w-]+)+', expr):
        raise Unsupported('expression %r' % expr)
    parts = expr.split('.')
    v = ctx
    for i, p in enumerate(parts):
        if not isinstance(v, dict) or p not in v:
            if parts[0] in ('vars', 'secrets') and i == 1:
                return ''
            raise Unsupported('unknown context value %r' % expr)
        v = v[p]
    if isinstance(v, (dict, list)):
        raise Unsupported('%r is not a string' % expr)
    return str(v)


def evaluate(ctx, text):
    return EXPR.sub(lambda m: lookup(ctx, m.group(1)), str(text))


def read_outputs(path):
    out, lines = {}, open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r'([\w-]+)<<(.+)$', line)
        if m:
            end, val = m.group(2), []
            i += 1
            while i < len(lines) and lines[i] != end:
                val.append(lines[i])
                i += 1
            out[m.group(1)] = '\n'.join(val)
        elif '=' in line:
            k, v = line.split('=', 1)
            out[k] = v
        i += 1
    return out


def run_job(wf, job_name, ctx, tmp):
    job = wf['jobs'][job_name]
    ctx = dict(ctx)
    wf_env = {k: str(ctx.get('env', {}).get(k, v))
              for k, v in (wf.get('env') or {}).items()}
    ctx['env'] = wf_env
    job_env = {k: evaluate(ctx, v) for k, v in (job.get('env') or {}).items()}
    summary = os.path.join(tmp, 'summary.md')
    open(summary, 'w').close()
    ctx['steps'] = {}
    checked_out = False
    g = ctx.get('github', {})
    for n, step in enumerate(job['steps'], 1):
        name = step.get('name') or step.get('uses') or step.get('run')
        if 'if' in step:
            raise Unsupported('step %r: if:' % name)
        if 'uses' in step:
            if not step['uses'].startswith('actions/checkout@'):
                raise Unsupported('action %r' % step['uses'])
            checked_out = True
            print('# %s: step %d: %s: the working tree is the checkout'
                  % (job_name, n, step['uses']), flush=True)
            continue
        if not checked_out:
            print('# %s: step %d: %s: skipped (bootstraps the job container)'
                  % (job_name, n, name), flush=True)
            continue
        out = os.path.join(tmp, 'output-%d' % n)
        open(out, 'w').close()
        env = dict(os.environ)
        env.update(wf_env)
        env.update(job_env)
        env.update({k: evaluate(ctx, v)
                    for k, v in (step.get('env') or {}).items()})
        env.update(GITHUB_OUTPUT=out, GITHUB_STEP_SUMMARY=summary,
                   GITHUB_WORKSPACE=ROOT, RUNNER_TEMP=tmp,
                   GITHUB_SHA=g.get('sha', ''),
                   GITHUB_ACTOR=g.get('actor', ''),
                   GITHUB_REPOSITORY_OWNER=g.get('repository_owner', ''))
        script = os.path.join(tmp, 'step-%d.sh' % n)
        with open(script, 'w', encoding='utf-8') as f:
            f.write(evaluate(ctx, step['run']))
        print('# %s: step %d: %s' % (job_name, n, name), flush=True)
        rc = subprocess.call(['bash', '--noprofile', '--norc', '-e', script],
                             cwd=ROOT, env=env)
        if rc:
            print('# %s: step %d failed (exit %d): %s'
                  % (job_name, n, rc, name), flush=True)
            return rc, {}, open(summary, encoding='utf-8').read()
        if 'id' in step:
            ctx['steps'][step['id']] = {'outputs': read_outputs(out)}
    outputs = {k: evaluate(ctx, v) for k, v in (job.get('outputs') or {}).items()}
    return 0, outputs, open(summary, encoding='utf-8').read()


def main(argv):
    if len(argv) == 3 and argv[1] == 'json':
        json.dump(load(argv[2]), sys.stdout, indent=1)
        print()
        return 0
    if len(argv) != 6 or argv[1] != 'run':
        print(__doc__, file=sys.stderr)
        return 2
    wf = load(argv[2])
    if argv[3] not in wf['jobs']:
        print('ghactions: no job %r in %s' % (argv[3], argv[2]),
              file=sys.stderr)
        return 2
    with open(argv[4], encoding='utf-8') as f:
        ctx = json.load(f)
    with tempfile.TemporaryDirectory(prefix='odooctl-ghactions.') as tmp:
        try:
            rc, outputs, summary = run_job(wf, argv[3], ctx, tmp)
        except Unsupported as e:
            print('ghactions: %s: unsupported: %s' % (argv[2], e),
                  file=sys.stderr)
            return 2
    with open(argv[5], 'w', encoding='utf-8') as f:
        json.dump({'outputs': outputs, 'summary': summary}, f, indent=1)
    return 1 if rc else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
