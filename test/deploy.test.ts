import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { tempDir } from './helpers/app.js';
import { SERVICES_REQUIRED } from './helpers/databases.js';
import { ROOT } from './helpers/processes.js';

const run = promisify(execFile);
const DEPLOY = path.join(ROOT, 'deploy');

/** The validators of every kind the manifests may hold; a kind missing here fails the test. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}

function missing(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}
const noKubectl = missing('kubectl');
if (noKubectl && SERVICES_REQUIRED) throw new Error('kubectl (Debian: kubernetes-client) is required (SEXTANT_TEST_REQUIRE_SERVICES) but not installed');
if (noKubectl) console.warn('SKIP Kustomize rendering: kubectl is not installed (Debian: apt-get install kubernetes-client)');

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', path.join(DEPLOY, 'kubernetes', dir)]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject);
}

const validate = (o: K8sObject) => {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no validator for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
};

describe.skipIf(noKubectl)('Kustomize base and production overlay', () => {
  it.each(['base', 'overlays/production'])('%s renders with kubectl kustomize, and every object validates against Kubernetes’ schemas', async (dir) => {
    const objects = await render(dir);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
    for (const o of objects) expect(() => validate(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
  });

  it('checks what a node needs: probes, resources, config and secret references, and selectors that match', async () => {
    const objects = await render('base');
    const of = (kind: string) => objects.find((o) => o.kind === kind)!;
    const deployment = of('Deployment');
    const pod = deployment.spec.template;
    const [container] = pod.spec.containers;
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      expect(c.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c.resources.limits).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
      expect(c.envFrom).toEqual([{ configMapRef: { name: of('ConfigMap').metadata.name } }, { secretRef: { name: 'sextant-secrets' } }]);
    }
    expect(pod.spec.initContainers[0].args).toEqual(['db', 'migrate']);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    // The ConfigMap names PostgreSQL's neighbours; the database URL itself is a secret.
    expect(of('ConfigMap').data).toMatchObject({ SEXTANT_ARTIFACTS: expect.stringMatching(/^s3:\/\//), SEXTANT_NATS_URL: expect.stringMatching(/^nats:\/\//), SEXTANT_MIGRATE: 'wait', SEXTANT_AUTH: 'on' });
    expect(of('ConfigMap').data).not.toHaveProperty('SEXTANT_DATABASE_URL');
    const podLabels = pod.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(of('Service').spec.selector)).toBe(true);
    expect(selects(of('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    const serviceLabels = of('Service').metadata.labels!;
    expect(Object.entries(of('ServiceMonitor').spec.selector.matchLabels).every(([k, v]) => serviceLabels[k] === v)).toBe(true);
    expect(of('ServiceMonitor').spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(of('HorizontalPodAutoscaler').spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: deployment.metadata.name },
      metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
    });

    const production = await render('overlays/production');
    const prod = (kind: string) => production.find((o) => o.kind === kind)!;
    expect(new Set(production.map((o) => o.metadata.namespace))).toEqual(new Set(['sextant']));
    expect(prod('Deployment').spec.replicas).toBe(6);
    expect(prod('Deployment').spec.template.spec.containers[0]).toMatchObject({ image: 'registry.example.com/sextant:0.1.0', readinessProbe: { httpGet: { path: '/readyz' } } });
    expect(prod('HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 6, maxReplicas: 30 });
  });

  it('uses validators that refuse a broken object', async () => {
    const deployment = (await render('base')).find((o) => o.kind === 'Deployment')!;
    deployment.spec.replicas = 'three';
    expect(() => validate(deployment)).toThrow(/replicas must be integer/);
    expect(() => validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toThrow(/no validator for v1 Pod/);
  });
});

describe('container image and compose file', () => {
  it('builds on Node 20 slim in stages, runs as a non-root user, checks /readyz, and keeps only the CPU onnxruntime', () => {
    const dockerfile = fs.readFileSync(path.join(DEPLOY, 'docker', 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const image of stages) expect(image).toMatch(/^node:20-[a-z]+-slim$/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/readyz/m);
    expect(dockerfile).toMatch(/keep-cpu-onnxruntime\.sh node_modules/);
  });

  it('keeps onnxruntime’s Linux CPU binary only, and that binary still runs a model', async () => {
    const dir = tempDir('sextant-onnx-prune-');
    try {
      const modules = path.join(dir, 'node_modules');
      fs.mkdirSync(modules);
      // Hard links: the copy costs no disk, and the originals are untouched by the removals.
      for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) execFileSync('cp', ['-al', path.join(ROOT, 'node_modules', pkg), modules]);
      const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
      execFileSync(path.join(DEPLOY, 'docker', 'keep-cpu-onnxruntime.sh'), [modules, arch]);
      const left = execFileSync('find', [path.join(modules, 'onnxruntime-node', 'bin'), '-type', 'f'], { encoding: 'utf8' }).trim().split('\n').map((f) => path.relative(path.join(modules, 'onnxruntime-node', 'bin'), f));
      expect(left.every((f) => f.includes(`/linux/${arch}/`))).toBe(true);
      expect(left.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true);
      const model = path.join(ROOT, 'test', 'fixtures', 'serving', 'breast-cancer-logreg.onnx');
      const script = `const ort = require('onnxruntime-node'); ort.InferenceSession.create(${JSON.stringify(model)}).then((s) => console.log(s.inputNames.join(',')))`;
      const { stdout } = await run(process.execPath, ['-e', script], { cwd: dir });
      expect(stdout.trim()).toBe('float_input');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps compose in step with the cluster suite: the same services, settings and HAProxy configuration', () => {
    const compose = parse(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; command?: string[]; environment?: Record<string, string>; volumes?: string[] }>;
    };
    const services = compose.services;
    expect(services.postgres!.image).toMatch(/^postgres:/);
    expect(services.nats!.command).toContain('-js');
    expect(services.minio!.image).toMatch(/minio/);
    const nodes = Object.keys(services).filter((s) => /^sextant-[a-z]$/.test(s));
    expect(nodes).toEqual(['sextant-a', 'sextant-b', 'sextant-c']);
    for (const name of nodes) {
      expect(services[name]!.environment).toMatchObject({
        SEXTANT_NODE_ID: name.slice(-1),
        SEXTANT_AUTH: 'on',
        SEXTANT_DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        SEXTANT_ARTIFACTS: expect.stringMatching(/^s3:\/\//),
        AWS_ENDPOINT_URL_S3: 'http://minio:9000',
        SEXTANT_NATS_URL: 'nats://nats:4222',
        SEXTANT_PII_KEY: expect.stringMatching(/^\$\{SEXTANT_PII_KEY:\?/),
        SEXTANT_SIGNING_KEY: expect.stringMatching(/^\$\{SEXTANT_SIGNING_KEY:\?/),
      });
    }
    expect(services.haproxy!.volumes).toEqual(['./haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    // The file the suite's HAProxy runs with the suite's own addresses: its servers are compose's nodes.
    const cfg = fs.readFileSync(path.join(DEPLOY, 'haproxy', 'haproxy.cfg'), 'utf8');
    expect([...cfg.matchAll(/^\s*server (\S+) (\S+) check$/gm)].map((m) => [m[1], m[2]])).toEqual(nodes.map((n) => [n.slice(-1), `${n}:8080`]));
    expect(cfg).toMatch(/option httpchk GET \/readyz/);
  });
});
