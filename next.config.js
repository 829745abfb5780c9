/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The agent code reads /proc and talks to unix sockets: keep it out of client bundles.
  serverExternalPackages: [],
  // `npm test` type-checks every file (tsc --noEmit) before it builds; it sets this so the build
  // does not do the same work again. `npm start` and a plain `next build` still type-check.
  typescript: { ignoreBuildErrors: process.env.VCPUMAP_BUILD_TYPECHECKED === '1' },
};

export default nextConfig;
