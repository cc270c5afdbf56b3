/** Types of generate-dockerfiles.cjs (the Dockerfile generator). */
export declare const SERVICES: Record<string, { port: number; description: string }>;
export declare function renderDockerfile(service: string, template?: string): string;
export declare function renderAll(): Record<string, string>;
