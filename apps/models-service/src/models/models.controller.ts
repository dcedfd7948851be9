import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  Patterns,
  type CreateModelRequest,
  type DeleteModelRequest,
  type DetachOrgReply,
  type DetachOrgRequest,
  type DetachOwnerReply,
  type DetachOwnerRequest,
  type GetModelRequest,
  type ModelView,
  type UpdateModelRequest,
} from '@helix/contracts';
import { ModelsService } from './models.service';

/** Request/reply handlers for the gateway (queue group: one replica answers each request). */
@Controller()
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @MessagePattern(Patterns.modelsCreate)
  create(@Payload() request: CreateModelRequest): Promise<ModelView> {
    return this.models.create(request);
  }

  @MessagePattern(Patterns.modelsList)
  list(): Promise<ModelView[]> {
    return this.models.list();
  }

  @MessagePattern(Patterns.modelsGet)
  get(@Payload() request: GetModelRequest): Promise<ModelView> {
    return this.models.get(request);
  }

  @MessagePattern(Patterns.modelsUpdate)
  update(@Payload() request: UpdateModelRequest): Promise<ModelView> {
    return this.models.update(request);
  }

  @MessagePattern(Patterns.modelsDetachOwner)
  detachOwner(@Payload() request: DetachOwnerRequest): Promise<DetachOwnerReply> {
    return this.models.detachOwner(request);
  }

  @MessagePattern(Patterns.modelsDetachOrg)
  detachOrg(@Payload() request: DetachOrgRequest): Promise<DetachOrgReply> {
    return this.models.detachOrg(request);
  }

  @MessagePattern(Patterns.modelsDelete)
  delete(@Payload() request: DeleteModelRequest): Promise<ModelView> {
    return this.models.delete(request);
  }
}
