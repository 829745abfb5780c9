// A name from a host (VM, thread, task or host name) as a page shows it: isolated from the text
// around it (<bdi>), its hidden characters made visible (lib/ui/shown-text.ts), and a tooltip
// that says so when it had any.
import { shownText } from '@/lib/ui/shown-text';

export function ShownName({ value, className }: { readonly value: string; readonly className?: string }) {
  const shown = shownText(value);
  const hidden = shown !== value;
  return (
    <bdi className={className} data-hidden-chars={hidden ? '1' : undefined} title={hidden ? 'This name holds control or invisible characters, shown as ⟨U+…⟩ or ␛' : undefined}>
      {shown}
    </bdi>
  );
}
