-- Child steps of an agent that calls tools (its model turns and tool calls) name their agent here.
ALTER TABLE "execution_steps" ADD COLUMN "parent_node_id" text;