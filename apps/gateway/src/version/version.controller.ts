import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@helix/access';
import { ApiErrors } from '../http/api-docs';

/** GET /api/v1/version: what `helix version` shows as the server's version. */
export class VersionViewDto {
  @ApiProperty({ example: '0.1.0', description: 'The release of the gateway (the version in its package.json; "unknown" when it has none).' })
  version!: string;

  @ApiProperty({ example: 'v1', enum: ['v1'], description: 'The REST API version: every route is under /api/<api>.' })
  api!: 'v1';
}

/** The version of the release this process runs: the repository's package.json (also copied into the images). */
export function releaseVersion(start = __dirname): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'helix-token-plane' && typeof pkg.version === 'string') return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return 'unknown';
}

@ApiTags('version')
@ApiBearerAuth()
@Controller('api/v1/version')
export class VersionController {
  private readonly view: VersionViewDto = { version: releaseVersion(), api: 'v1' };

  @Get()
  @Authenticated()
  @ApiOperation({
    operationId: 'getVersion',
    summary: 'Show the server version',
    description: 'The release of the gateway and the REST API version (any user).',
  })
  @ApiOkResponse({ type: VersionViewDto, description: 'The release and the API version.' })
  @ApiErrors(401, 503)
  version(): VersionViewDto {
    return this.view;
  }
}
