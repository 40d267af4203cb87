"""The parameters of the Convox rack template (`rack.json`) the sandbox's stacks use."""

from __future__ import annotations

VERSION = "20240415123456"

# Every parameter a sandbox rack stack has, with the template's default (None: no default,
# so UpdateStack must give a value or UsePreviousValue). Omitting a parameter that has a
# default resets it to that default: the trap of convox/site#281.
TEMPLATE_DEFAULTS: dict[str, str | None] = {
    "Ami": "",
    "ApiCount": "2",
    "Autoscale": "Yes",
    "BuildCpu": "0",
    "BuildInstance": "",
    "BuildMemory": "1000",
    "ClientId": "dev@convox.com",
    "Development": "No",
    "Encryption": "Yes",
    "ExistingVpc": "",
    "HighAvailability": "true",
    "HttpProxy": "",
    "InstanceBootCommand": "",
    "InstanceCount": "3",
    "InstanceRunCommand": "",
    "InstanceType": "t3.small",
    "InstanceUpdateBatchSize": "1",
    "Internal": "No",
    "Key": "",
    "LogBucket": "",
    "LogRetention": "7",
    "NoHaInstanceCount": "1",
    "OnDemandMinCount": "3",
    "Password": None,
    "Private": "No",
    "SpotInstanceBid": "",
    "Subnet0CIDR": "10.0.1.0/24",
    "Subnet1CIDR": "10.0.2.0/24",
    "Subnet2CIDR": "10.0.3.0/24",
    "SubnetPrivate0CIDR": "10.0.4.0/24",
    "SubnetPrivate1CIDR": "10.0.5.0/24",
    "SubnetPrivate2CIDR": "10.0.6.0/24",
    "SwapSize": "5",
    "Tenancy": "default",
    "Version": None,
    "VolumeSize": "50",
    "VPCCIDR": "10.0.0.0/16",
}

# The rack API's `PUT /system` form fields that are shorthands for parameters.
FORM_PARAMETERS = {"count": "InstanceCount", "type": "InstanceType", "version": "Version"}
