// zod's English messages for the modules that use zod's tree-shakable build (`zod/mini`: QMP
// replies, libvirt XML, the pins file), the messages `import { z } from 'zod'` sets up itself.
// Those modules are the agent's boundaries: the full build was 750 KB of the agent's 1.45 MB
// bundle, and parsing and running it the largest part of the agent's start-up CPU. Each imports
// `* as z from 'zod/mini'` itself (a re-exported namespace would keep all of zod in the bundle)
// and this module for its side effect.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
