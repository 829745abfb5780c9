import { AnalyzeView } from '@/components/analyze/analyze-view';

export const metadata = { title: 'Analyze · vcpumap' };

export default function AnalyzePage() {
  return <AnalyzeView />;
}
