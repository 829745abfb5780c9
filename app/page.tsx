export default function HomePage() {
  return (
    <main className="mx-auto max-w-3xl p-8">
      <h1 className="text-2xl font-semibold">vcpumap</h1>
      <p className="mt-4">
        The fleet dashboard is not built yet. The host agent works today:{' '}
        <code className="rounded bg-slate-200 px-1 dark:bg-slate-800">npx vcpumap-agent --once --print</code>{' '}
        prints this host&apos;s vCPU snapshot as JSON.
      </p>
    </main>
  );
}
