/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The agent code reads /proc and talks to unix sockets: keep it out of client bundles.
  serverExternalPackages: [],
};

export default nextConfig;
